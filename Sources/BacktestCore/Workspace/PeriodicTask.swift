import Base
import Foundation

/// Runs a closure every `interval` seconds on a thread of its own until stopped. For the workspace's safety
/// nets (a scheduling pass, the interruption check), which must run whether or not anything else happens.
final class PeriodicTask: Sendable {
    /// True once stopped.
    private let stopped = ConditionLock(false)

    init(name: String, interval: Double, _ body: @escaping @Sendable () -> Void) {
        let stopped = stopped
        let thread = Thread {
            while true {
                // Sleeps the interval, or less when stopped meanwhile.
                if stopped.wait(until: { $0 }, deadline: Date(timeIntervalSinceNow: interval), then: { _ in true }) == true { return }
                body()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Ends the thread: at once when it waits, else after the current run of the closure.
    func stop() { stopped.withLockAndBroadcast { $0 = true } }
}
