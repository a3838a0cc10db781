import Base
import CSystem
import Glibc

/// Runs a short helper command (git, `python3 -c ...`, `sha256sum`) and collects its output.
///
/// Started with `ProcessSpawner` (posix_spawn with a clean signal mask and closed descriptors) rather than
/// Foundation.Process, which ignores SIGTERM when started from a Dispatch thread and costs ~50 ms per wait
/// (see shared/notes/swift-on-linux.md). Only stdout is a pipe; stderr goes to the same pipe when asked, else
/// to /dev/null, so a single reader can never deadlock on a full second pipe.
package enum CommandRunner {
    /// What a finished command produced.
    package struct Output: Sendable {
        /// Exit status, or 128 + signal number when it was killed (the shell convention).
        package var status: Int32
        package var stdout: [UInt8]
        package var timedOut: Bool
        package var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// The first executable regular file named `name` in the directories of `searchPath` (default: this
    /// process's `$PATH`), or `name` itself when it contains a slash and is executable.
    package static func which(_ name: String, searchPath: String? = nil) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = searchPath ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + name
            if FileSystem.kind(candidate) == .file, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `executable` (an absolute path, or a name looked up on PATH) with `arguments`, in this process's
    /// environment with `extra` added. Returns nil when it cannot be started. A command still running after
    /// `timeout` seconds is killed (its whole process group) and reported with `timedOut`.
    package static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil,
        environment extra: [String: String] = [:], mergeStderr: Bool = false, timeout: Double = 30,
        outputLimit: Int = 64 << 20
    ) -> Output? {
        guard let path = which(executable) else { return nil }
        var fds: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&fds) == 0 else { return nil }
        let readEnd = fds[0], writeEnd = fds[1]
        let environment = ProcessEnvironment.current().merging(extra) { _, added in added }
        let spawned = ProcessSpawner.spawn(executable: path, argv: [path] + arguments, environment: environment,
                                           cwd: directory, stdout: writeEnd, stderr: mergeStderr ? writeEnd : -1)
        close(writeEnd)
        guard case .success(let pid) = spawned else { close(readEnd); return nil }

        var out: [UInt8] = []
        var timedOut = false
        let deadline = MonotonicTime.now() + timeout
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let remaining = deadline - MonotonicTime.now()
            if remaining <= 0 { timedOut = true; break }
            var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining, 1.0) * 1000) + 1)
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue } else { break } }
            if n == 0 { break }
            if out.count < outputLimit { out.append(contentsOf: buffer[0..<min(n, outputLimit - out.count)]) }
        }
        close(readEnd)
        // The child is its own process-group leader: a timeout kills whatever it started as well.
        if timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Output(status: ExitStatus(waitStatus: status).shellCode, stdout: out, timedOut: timedOut)
    }
}
