import Base
import Glibc
import JSON
import Synchronization

/// Asks each interpreter once what it really is, and remembers the answer: the executable a command such as
/// `python3` stands for (to start scripts with), and its real path and version (for a run's metadata).
///
/// Starting `python3` costs ~40 ms, ~110 ms through a pyenv shim (a shell script run on every start), so
/// answers are kept. Whoever needs them owns a cache: a workspace resolves its interpreters once for all its
/// submissions (in memory), a supervisor records the interpreter of its run through a JSON file (`file`) that
/// every supervisor of the workspace reads. Versions are keyed by the resolved interpreter path and its
/// modification time: replacing the interpreter (an upgrade) changes the key. A shim is a script whose answer
/// depends on the folder it runs in (`.python-version`), so for a script interpreter the working directory is
/// part of the key too.
public final class InterpreterCache: Sendable {
    private let file: String?
    private let memory = Mutex<[String: InterpreterInfo]>([:])
    /// (command, PATH, directory) → the executable, or nil when the command cannot be found.
    private let executables = Mutex<[String: String?]>([:])

    /// - Parameter file: where to persist answers (e.g. `<runs_dir>/.backtest-rpc/interpreters.json`), or nil
    ///   to keep them in memory only.
    public init(file: String?) {
        self.file = file
    }

    /// The absolute executable that starts scripts for the interpreter `command`, found on `searchPath` and
    /// asked from `workingDirectory` (pyenv picks its version by `.python-version` files from there); nil when
    /// the command cannot be found. A Python-like command is asked for `sys.executable`, which sees through
    /// shims and venv wrappers; anything else is the real path of what PATH finds. Slow on first use only.
    public func executable(for command: String, searchPath: String, workingDirectory: String) -> String? {
        let key = command + "\u{0}" + searchPath + "\u{0}" + workingDirectory
        if let hit = executables.withLock({ $0[key] }) { return hit }
        // Probed outside the lock: a slow probe must not block resolving another command. Two threads
        // resolving the same command at once both probe; the answer is the same.
        let found = probeExecutable(command, searchPath: searchPath, workingDirectory: workingDirectory)
        executables.withLock { $0[key] = .some(found) }
        return found
    }

    private func probeExecutable(_ command: String, searchPath: String, workingDirectory: String) -> String? {
        guard let found = CommandRunner.which(command, searchPath: searchPath) else { return nil }
        // A command given as a path is taken to its real file, whose name says what it is.
        guard let hit = command.contains("/") ? FileSystem.realpath(found) : found else { return nil }
        if Self.isPythonLike(hit), let exe = info(for: hit, workingDirectory: workingDirectory)?.path, access(exe, X_OK) == 0 {
            return exe
        }
        return FileSystem.realpath(hit) ?? hit
    }

    /// What `interpreter` (a name on PATH or a path) really is; nil when it cannot be found or run.
    public func info(for interpreter: String, workingDirectory: String? = nil) -> InterpreterInfo? {
        guard let resolved = CommandRunner.which(interpreter) else { return nil }
        let absolute = resolved.hasPrefix("/") ? resolved : PathText.join(currentDirectory(), resolved)
        guard let stamp = FileSystem.fingerprint(absolute) else { return nil }
        let isScript = FileSystem.readPrefix(absolute, count: 2) == Array("#!".utf8)
        var key = "\(absolute)|\(stamp.mtimeNanos)"
        if isScript, let workingDirectory { key += "|\(workingDirectory)" }

        if let hit = memory.withLock({ $0[key] }) { return hit }
        if let hit = loadFile()[key] {
            memory.withLock { $0[key] = hit }
            return hit
        }
        guard let answer = Self.ask(absolute, workingDirectory: workingDirectory) else { return nil }
        memory.withLock { $0[key] = answer }
        persist(key: key, info: answer)
        return answer
    }

    /// Runs the interpreter to learn its real path and version.
    static func ask(_ executable: String, workingDirectory: String?) -> InterpreterInfo? {
        if isPythonLike(executable) {
            let code = "import sys; print(sys.executable); print(sys.version.split()[0])"
            guard let out = CommandRunner.run(executable, ["-c", code], directory: workingDirectory, timeout: 20),
                  out.status == 0 else { return nil }
            let lines = out.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard lines.count >= 2, !lines[1].isEmpty else { return nil }
            return InterpreterInfo(path: lines[0].isEmpty ? executable : lines[0], version: lines[1])
        }
        // Other interpreters (bash, Rscript, node) all answer --version, some on stderr.
        guard let out = CommandRunner.run(executable, ["--version"], directory: workingDirectory, mergeStderr: true, timeout: 20)
        else { return nil }
        let first = out.text.split(separator: "\n").first.map { String($0).trimmingSpaces() } ?? ""
        return InterpreterInfo(path: FileSystem.realpath(executable) ?? executable, version: first)
    }

    /// A Python (or PyPy) by its file name: asked through `sys`, which sees through shims.
    static func isPythonLike(_ path: String) -> Bool {
        let name = PathText.fileName(path)
        return name.hasPrefix("python") || name.hasPrefix("pypy")
    }

    private func loadFile() -> [String: InterpreterInfo] {
        guard let file, let bytes = try? FileSystem.readFile(file, limit: 4 << 20),
              case .object(let o)? = try? JSONParser.parse(bytes) else { return [:] }
        var out: [String: InterpreterInfo] = [:]
        for (key, value) in o {
            if let path = value["path"].stringValue, let version = value["version"].stringValue {
                out[key] = InterpreterInfo(path: path, version: version)
            }
        }
        return out
    }

    /// Merges one answer into the file. Supervisors may race; each rewrite is atomic and re-reads first, so
    /// the worst case is one lost entry that is asked again later.
    private func persist(key: String, info: InterpreterInfo) {
        guard let file else { return }
        var entries = loadFile()
        entries[key] = info
        var o = JSONObject()
        for k in entries.keys.sorted() { o[k] = entries[k]!.json() }
        try? FileSystem.makeDirectories(PathText.parent(file))
        try? AtomicFile.write(JSONWriter.pretty(.object(o)), to: file)
    }

    private func currentDirectory() -> String {
        guard let p = getcwd(nil, 0) else { return "/" }
        defer { free(p) }
        return String(cString: p)
    }
}
