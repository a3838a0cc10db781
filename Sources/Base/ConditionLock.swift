import Foundation

/// State guarded by a lock with a condition variable: the project's one way for a thread to sleep until
/// shared state changes (the protocol writer waiting for frames, `flushAndWait`, the worker pool, the
/// workspace's periodic task, the run follower, a server waiting for its runs). `Mutex` cannot wait, so
/// this wraps `NSCondition` (pthread mutex + condvar).
///
/// `@unchecked Sendable` is sound because `value` is only ever touched inside `withLock`/`wait`, which
/// hold the lock.
public final class ConditionLock<State>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: State

    public init(_ value: State) { self.value = value }

    /// Runs `body` with the lock held.
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body(&value)
    }

    /// Runs `body` with the lock held, then wakes every waiter (call when waiters may care).
    public func withLockAndBroadcast<R>(_ body: (inout State) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Wakes every waiter.
    public func broadcast() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps until `ready` holds (checked under the lock), then runs `body` under the same lock. Returns
    /// nil if `deadline` passed first.
    public func wait<R>(until ready: (State) -> Bool, deadline: Date = .distantFuture,
                 then body: (inout State) throws -> R) rethrows -> R? {
        condition.lock()
        defer { condition.unlock() }
        while !ready(value) {
            if deadline == .distantFuture {
                condition.wait()
            } else if !condition.wait(until: deadline) {
                if ready(value) { break }
                return nil
            }
        }
        return try body(&value)
    }

    /// Like `wait(until:then:)` without a deadline, but tells the state that a waiter sleeps
    /// (`announce(&state, true)` before sleeping, `false` after), so that producers can skip the wake-up
    /// when nobody sleeps.
    public func waitAnnounced<R>(until ready: (State) -> Bool, announce: (inout State, Bool) -> Void,
                          then body: (inout State) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        while !ready(value) {
            announce(&value, true)
            condition.wait()
            announce(&value, false)
        }
        return try body(&value)
    }
}
