import Foundation
import Synchronization

/// Runs a closure every `interval` seconds on a thread of its own until stopped. For the workspace's safety
/// nets (a scheduling pass, the interruption check), which must run whether or not anything else happens.
final class PeriodicTask: Sendable {
    private let stopped = Mutex(false)
    private let condition = NSCondition()

    init(name: String, interval: Double, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                if !stopped.withLock({ $0 }) { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                condition.unlock()
                if stopped.withLock({ $0 }) { return }
                body()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Ends the thread: at once when it waits, else after the current run of the closure.
    func stop() {
        stopped.withLock { $0 = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
