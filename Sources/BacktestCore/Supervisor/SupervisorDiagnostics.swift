import Base
import Glibc

/// The supervisor's own messages, appended to `<run_dir>/.supervisor.log`. Its stdout and stderr are
/// /dev/null (it is detached), and its problems belong to the run, so they are kept beside it.
struct SupervisorDiagnostics {
    let path: String

    init(runDir: String) { path = runDir + "/.supervisor.log" }

    func write(_ message: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array((ISOTime.format(millis: ISOTime.nowMillis()) + " [\(getpid())] " + message + "\n").utf8)
        _ = line.withUnsafeBytes { AtomicFile.writeAll(fd, $0) }
    }
}
