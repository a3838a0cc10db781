/// How a process ended, decoded from a `waitpid` status (Swift cannot see the WIFEXITED macros).
public enum ExitStatus: Sendable, Equatable {
    case exited(code: Int)
    case signaled(signal: Int)

    public init(waitStatus s: Int32) {
        if s & 0x7F == 0 { self = .exited(code: Int((s >> 8) & 0xFF)) } else { self = .signaled(signal: Int(s & 0x7F)) }
    }
}

extension ExitStatus {
    /// The status as a shell reports it (`$?`): the exit code, or 128 + the signal number.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): return Int32(code)
        case .signaled(let signal): return 128 + Int32(signal)
        }
    }
}
