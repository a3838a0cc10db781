import CSystem
import Glibc

/// Starts a program with `posix_spawn` (through the CSystem shim): no shell, no PATH lookup, an empty signal
/// mask and default dispositions (so a child started from any thread still dies of SIGTERM), descriptors
/// 0-2 as given, `keepFDs` handed over as 3, 4, ... and every other descriptor closed.
///
/// The supervisor starts scripts with it (`newSession: false`: the script leads its own process group, which
/// is what lets a cancel reach grandchildren); a launcher starts detached supervisors with it
/// (`newSession: true`, the slot and run locks in `keepFDs`); `CommandRunner` starts helper commands (git,
/// an interpreter probe) with it and collects their output.
public enum ProcessSpawner {
    /// Returns the child's pid, or the errno of the failure (ENOENT, EACCES, ... also for a bad `cwd`).
    public static func spawn(executable: String, argv: [String], environment: [String: String], cwd: String?,
                             stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1,
                             keepFDs: [Int32] = [], newSession: Bool = false) -> Result<pid_t, SpawnError> {
        let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer { for p in cArgv { free(p) }; for p in cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = executable.withCString { path in
            withOptionalCString(cwd) { dir in
                keepFDs.withUnsafeBufferPointer { keep in
                cArgv.withUnsafeBufferPointer { a in
                cEnv.withUnsafeBufferPointer { e in
                    var o = csys_spawn_options()
                    o.path = path
                    o.argv = a.baseAddress
                    o.envp = e.baseAddress
                    o.cwd = dir
                    o.stdin_fd = stdin; o.stdout_fd = stdout; o.stderr_fd = stderr
                    o.keep_fds = keep.baseAddress
                    o.keep_count = Int32(keep.count)
                    o.new_session = newSession ? 1 : 0
                    return csys_spawn(&o, &pid)
                }
                }
                }
            }
        }
        return rc == 0 ? .success(pid) : .failure(SpawnError(code: rc))
    }

    /// Why a program could not be started.
    public struct SpawnError: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    private static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }
}
