import Synchronization

/// Work a handler wants done only once its answer is queued for the client (`RequestContext.afterReply`):
/// a notification about something the answer introduces (a new run and its id) must never reach the
/// client before the answer itself, or the client cannot tell what it is about.
final class AfterReply: Sendable {
    private struct State {
        var work: [@Sendable () -> Void] = []
        var done = false
    }
    private let state = Mutex(State())

    /// Queues `body`, or runs it now when the answer is already out.
    func add(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.done { return true }
            s.work.append(body)
            return false
        }
        if now { body() }
    }

    /// The answer is queued: runs what waited for it, in order, once.
    func run() {
        let work = state.withLock { s -> [@Sendable () -> Void] in
            s.done = true
            defer { s.work = [] }
            return s.work
        }
        for body in work { body() }
    }
}
