import Glibc

/// Where a run's time goes, for the bench (`backtest-bench manyruns --steps`): with
/// `BACKTEST_STEP_TRACE=<file>` in its environment, every process of a workspace (server, supervisors)
/// appends one line per step it reaches, `<monotonic ns> <pid> <step>`, to that file. The monotonic clock is
/// the machine's, so lines of different processes line up. Off (one branch per step) without the variable.
package enum StepTrace {
    private static let fd: Int32 = {
        guard let path = getenv("BACKTEST_STEP_TRACE") else { return -1 }
        return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    }()

    /// One line, one `write` (O_APPEND keeps lines of different processes whole).
    package static func mark(_ step: StaticString) {
        guard fd >= 0 else { return }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let line = "\(Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)) \(getpid()) \(step)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }
}
