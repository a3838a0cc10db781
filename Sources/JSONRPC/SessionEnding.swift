import Base
import Foundation

/// How a session ended, which `JSONRPCServer.serve()` returns: the caller decides what the process does
/// next (the library never exits the process).
public enum SessionEnding: Sendable, Equatable {
    /// End of input (or the watched client process died), once every request in flight was answered.
    case inputClosed
    /// A write failed (EPIPE): the client is gone; nothing more is written.
    case outputClosed
    /// The `exit` notification: 0 when `shutdown` came first, else 1. Output was flushed.
    case exit(code: Int32)
    /// `stop(code:)` was called (a signal handler, say).
    case stopped(code: Int32)
}

/// The first ending of a session, and a way to wait for it. Made before the output writer, so that the
/// writer can report a closed output straight to it.
final class EndingLatch: Sendable {
    private let state = ConditionLock<SessionEnding?>(nil)

    /// Records `ending` unless an earlier one was recorded; returns whether this one counts.
    @discardableResult
    func settle(_ ending: SessionEnding) -> Bool {
        state.withLockAndBroadcast { e in
            guard e == nil else { return false }
            e = ending
            return true
        }
    }

    var current: SessionEnding? { state.withLock { $0 } }

    func wait() -> SessionEnding { state.wait(until: { $0 != nil }) { $0! }! }
}
