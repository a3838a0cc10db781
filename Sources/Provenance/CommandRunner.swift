import CSystem
import Glibc

/// Runs a short helper command (git, `python3 -c ...`, `sha256sum`) and collects its output.
///
/// Built on `csys_spawn` (posix_spawn with a clean signal mask and closed descriptors) rather than
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

    /// The first executable named `name` on `$PATH`, or `name` itself when it contains a slash.
    package static func which(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = dir + "/" + name
            if access(candidate, X_OK) == 0, FileSystem.kind(candidate) == .file { return candidate }
        }
        return nil
    }

    /// Runs `executable` (an absolute path, or a name looked up on PATH) with `arguments`.
    /// Returns nil when it cannot be started. A command still running after `timeout` seconds is killed
    /// (its whole process group) and reported with `timedOut`.
    package static func run(
        _ executable: String, _ arguments: [String], directory: String? = nil,
        environment extra: [String: String] = [:], mergeStderr: Bool = false, timeout: Double = 30,
        outputLimit: Int = 64 << 20
    ) -> Output? {
        guard let path = which(executable) else { return nil }
        var fds: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&fds) == 0 else { return nil }
        let readEnd = fds[0], writeEnd = fds[1]

        var env: [String] = []
        var seen = Set<String>()
        for (k, v) in extra { env.append("\(k)=\(v)"); seen.insert(k) }
        var e = environ
        while let entry = e.pointee {
            let s = String(cString: entry)
            let name = s.split(separator: "=", maxSplits: 1).first.map(String.init) ?? s
            if !seen.contains(name) { env.append(s) }
            e += 1
        }

        var pid: pid_t = 0
        let rc = withCStrings([path] + arguments) { argv in
            withCStrings(env) { envp in
                withOptionalCString(directory) { cwd in
                    var opts = csys_spawn_options(
                        path: argv[0], argv: argv, envp: envp, cwd: cwd, stdin_fd: -1, stdout_fd: writeEnd,
                        stderr_fd: mergeStderr ? writeEnd : -1, keep_fds: nil, keep_count: 0, new_session: 0)
                    return csys_spawn(&opts, &pid)
                }
            }
        }
        close(writeEnd)
        if rc != 0 { close(readEnd); return nil }

        var out: [UInt8] = []
        var timedOut = false
        let deadline = monotonicSeconds() + timeout
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let remaining = deadline - monotonicSeconds()
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
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: code, stdout: out, timedOut: timedOut)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A NULL-terminated C string array valid for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for p in pointers { free(p) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }
}
