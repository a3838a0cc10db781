import Glibc
import Provenance
import Synchronization

/// Turns an interpreter command (`python3`) into the real executable, once per command per process.
///
/// Why once: `python3` is often a pyenv shim, a shell script that costs ~110 ms on every start; the real
/// interpreter starts in ~43 ms. A Python-like command is asked for `sys.executable` (which sees through
/// shims and venv wrappers); anything else is the realpath of its PATH hit.
enum InterpreterResolver {
    /// (command, PATH, directory) → resolved absolute path, or why it could not be found. Process-wide, so
    /// that every Workspace of the process (and every test) pays the probe once.
    private static let cache = Mutex<[String: Result<String, ResolveFailure>]>([:])

    struct ResolveFailure: Error, Equatable { let reason: String }

    /// The absolute executable for `command` found on `path`, asked from `cwd` (pyenv picks its version by
    /// `.python-version` files from there); slow on first use only.
    static func resolve(_ command: String, path: String, cwd: String) -> Result<String, ResolveFailure> {
        let key = command + "\u{0}" + path + "\u{0}" + cwd
        if let hit = cache.withLock({ $0[key] }) { return hit }
        // Probe outside the lock: a slow probe must not block resolving another command. Two threads
        // resolving the same command at once both probe; the answer is the same.
        let r = probe(command, path: path, cwd: cwd)
        cache.withLock { $0[key] = r }
        return r
    }

    static func probe(_ command: String, path: String, cwd: String) -> Result<String, ResolveFailure> {
        guard let hit = which(command, path: path) else {
            return .failure(ResolveFailure(reason: "\(command) was not found on PATH"))
        }
        let name = hit.split(separator: "/").last.map(String.init) ?? hit
        if name.hasPrefix("python") || name.hasPrefix("pypy") {
            // The same probe the run's metadata uses (it also learns the version).
            if let exe = InterpreterCache(file: nil).info(for: hit, workingDirectory: cwd)?.path, access(exe, X_OK) == 0 {
                return .success(exe)
            }
        }
        return .success(PathOps.realpath(hit) ?? hit)
    }

    /// An absolute or relative path is used as is; a bare name is looked up on PATH.
    static func which(_ command: String, path: String) -> String? {
        if command.contains("/") { return access(command, X_OK) == 0 ? PathOps.realpath(command) : nil }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/" + command
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }
}
