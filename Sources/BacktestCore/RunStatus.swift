/// Where a run is in its life. queued → running → validating → completed | failed | cancelled.
public enum RunStatus: String, Sendable, CaseIterable {
    case queued, running, validating, completed, failed, cancelled

    /// A terminal status never changes again (except that `validate` may refresh a finished run's report).
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

    /// A run in one of these states must have a live supervisor holding its lock.
    public var needsSupervisor: Bool { self == .running || self == .validating }
}

/// Why a failed run failed.
public enum FailureReason: String, Sendable, CaseIterable {
    /// The script exited non-zero (or was killed by a signal it did not get from us).
    case exitCode = "exit_code"
    /// The script exited 0 but its outputs did not pass validation.
    case validation
    /// The run outlived its timeout and was stopped.
    case timeout
    /// The script could not be started at all.
    case spawnError = "spawn_error"
    /// The supervisor died (SIGKILL, OOM, reboot) before the run ended.
    case interrupted
}
