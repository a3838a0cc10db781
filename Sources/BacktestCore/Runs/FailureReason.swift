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
