import Base
import Foundation

/// Runs a closure every `interval` seconds on a thread of its own until stopped. For the workspace's safety
/// nets (a scheduling pass, the interruption check), which must run whether or not anything else happens.
final class PeriodicTask: Sendable {
    private struct State {
        var stopped = false
        var running = false
    }
    private let state = ConditionLock(State())

    init(name: String, interval: Double, _ body: @escaping @Sendable () -> Void) {
        let state = state
        let thread = Thread {
            Thread.current.threadDictionary[Self.marker] = true
            while true {
                // Sleeps the interval, or less when stopped meanwhile.
                let go = state.wait(until: { $0.stopped }, deadline: Date(timeIntervalSinceNow: interval), then: { _ in false })
                    ?? state.withLock { s -> Bool in
                        guard !s.stopped else { return false }
                        s.running = true
                        return true
                    }
                guard go else { return }
                body()
                state.withLockAndBroadcast { $0.running = false }
            }
        }
        thread.name = name
        thread.start()
    }

    /// Ends the thread. Once it returns the closure is not running and never runs again: a workspace that
    /// is gone starts nothing behind its successor's back (a run it would claim is a run someone else may
    /// be about to claim). Called from the closure itself, it does not wait for itself.
    func stop() {
        state.withLockAndBroadcast { $0.stopped = true }
        if Thread.current.threadDictionary[Self.marker] != nil { return }
        _ = state.wait(until: { !$0.running }, then: { _ in true })
    }

    /// Marks the tick threads (a workspace released by its own tick is stopped from that thread).
    private static let marker = "backtest-rpc.periodic-task"
}
