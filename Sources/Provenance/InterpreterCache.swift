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
/// part of the key too. A Python's answer also lists its installed packages, and stands only while the
/// directories on its `sys.path` (site-packages) keep the modification times they had when it was asked.
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
    /// the command cannot be found. A Python-like command is asked for `sys.executable`, started through the
    /// path as found (never its symlink target, which would leave a venv): that keeps a venv's own path and
    /// sees through pyenv shims. Anything else is the real path of what PATH finds. Slow on first use only.
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
        let hit = found.hasPrefix("/") ? found : PathText.join(workingDirectory, found)
        // A Python is asked for `sys.executable`, from the path as found (never its symlink target): a venv's
        // bin/python is a symlink to the base interpreter, and only started through the link does Python
        // find the venv's pyvenv.cfg. What it reports keeps a venv's or conda env's own path and still sees
        // through pyenv shims (scripts that start the real interpreter).
        if Self.isPythonLike(hit) || Self.isPythonLike(FileSystem.realpath(hit) ?? hit),
           let exe = info(for: hit, workingDirectory: workingDirectory)?.path, access(exe, X_OK) == 0 {
            return exe
        }
        // Anything else (bash, Rscript) keeps no state next to its link: its real file.
        return FileSystem.realpath(hit) ?? hit
    }

    /// What `interpreter` (a name on PATH or a path) really is; nil when it cannot be found or run.
    public func info(for interpreter: String, workingDirectory: String? = nil) -> InterpreterInfo? {
        guard let resolved = CommandRunner.which(interpreter) else { return nil }
        let absolute = resolved.hasPrefix("/") ? resolved : PathText.join(currentDirectory(), resolved)
        guard let stamp = FileSystem.fingerprint(absolute) else { return nil }
        let isScript = FileSystem.readPrefix(absolute, count: 2) == Array("#!".utf8)
        // "v2|": entries written before packages were asked are not reused.
        var key = "v2|\(absolute)|\(stamp.mtimeNanos)"
        if isScript, let workingDirectory { key += "|\(workingDirectory)" }

        // An answer stands until the interpreter's site-packages change (a package installed or upgraded).
        if let hit = memory.withLock({ $0[key] }), hit.isCurrent { return hit }
        if let hit = loadFile()[key], hit.isCurrent {
            memory.withLock { $0[key] = hit }
            return hit
        }
        guard let answer = Self.ask(absolute, workingDirectory: workingDirectory) else { return nil }
        memory.withLock { $0[key] = answer }
        persist(key: key, info: answer)
        return answer
    }

    /// What a Python is asked, in one start: its executable, version, the directories on its path (to notice
    /// a package change) and its distributions. JSON on one line.
    static let pythonProbe = """
        import sys, os, json
        pk = None
        try:
            import importlib.metadata as m
            pk = {}
            for d in m.distributions():
                try:
                    n = d.metadata["Name"]
                except Exception:
                    n = None
                if n and n not in pk:
                    pk[n] = d.version
        except Exception:
            pass
        dirs = [p for p in sys.path[1:] if p and os.path.isdir(p)]
        print(json.dumps({"executable": sys.executable, "version": sys.version.split()[0], "dirs": dirs, "packages": pk}))
        """

    /// Runs the interpreter to learn its real path and version (and, for Python, its packages).
    static func ask(_ executable: String, workingDirectory: String?) -> InterpreterInfo? {
        if isPythonLike(executable) || isPythonLike(FileSystem.realpath(executable) ?? executable) {
            guard let out = CommandRunner.run(executable, ["-c", pythonProbe], directory: workingDirectory, timeout: 30),
                  out.status == 0, let answer = try? JSONParser.parse(Array(out.text.utf8)),
                  let version = answer["version"].stringValue, !version.isEmpty else { return nil }
            let exe = answer["executable"].stringValue ?? ""
            var packages: [String: String]?
            if case .object(let p) = answer["packages"] {
                var found: [String: String] = [:]
                for (k, v) in p { if let s = v.stringValue { found[k] = s } }
                packages = found
            }
            var dirs: [String: Int64] = [:]
            for d in answer["dirs"].arrayValue ?? [] {
                if let d = d.stringValue, let stamp = FileSystem.fingerprint(d) { dirs[d] = stamp.mtimeNanos }
            }
            return InterpreterInfo(path: exe.isEmpty ? executable : exe, version: version, packages: packages, siteDirs: dirs)
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
            if let info = InterpreterInfo(cacheJSON: value) { out[key] = info }
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
        for k in entries.keys.sorted() { o[k] = entries[k]!.cacheJSON() }
        try? FileSystem.makeDirectories(PathText.parent(file))
        try? AtomicFile.write(JSONWriter.pretty(.object(o)), to: file)
    }

    private func currentDirectory() -> String {
        guard let p = getcwd(nil, 0) else { return "/" }
        defer { free(p) }
        return String(cString: p)
    }
}
