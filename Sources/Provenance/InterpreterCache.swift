import Glibc
import JSON
import Synchronization

/// Asks each interpreter once what it really is, and remembers the answer.
///
/// Starting `python3` costs ~40 ms, ~110 ms through a pyenv shim, so the answer is kept in memory and in a
/// JSON file (`path` given to `init`) that every supervisor of the workspace reads, keyed by the resolved
/// interpreter path and its modification time: replacing the interpreter (an upgrade) changes the key. A
/// shim is a script whose answer depends on the folder it runs in (`.python-version`), so for a script
/// interpreter the working directory is part of the key too.
public final class InterpreterCache: Sendable {
    private let file: String?
    private let memory = Mutex<[String: InterpreterInfo]>([:])

    /// - Parameter file: where to persist answers (e.g. `<runs_dir>/.backtest-rpc/interpreters.json`), or nil
    ///   to keep them in memory only.
    public init(file: String?) {
        self.file = file
    }

    /// What `interpreter` (a name on PATH or a path) really is; nil when it cannot be found or run.
    public func info(for interpreter: String, workingDirectory: String? = nil) -> InterpreterInfo? {
        guard let resolved = CommandRunner.which(interpreter) else { return nil }
        let absolute = resolved.hasPrefix("/") ? resolved : PathText.join(currentDirectory(), resolved)
        guard let stamp = FileSystem.sizeAndMTime(absolute) else { return nil }
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
        let name = PathText.fileName(executable)
        if name.hasPrefix("python") || name.hasPrefix("pypy") {
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
        return InterpreterInfo(path: FileSystem.realPath(executable), version: first)
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
        try? FileSystem.writeAtomically(JSONWriter.pretty(.object(o)), to: file)
    }

    private func currentDirectory() -> String {
        guard let p = getcwd(nil, 0) else { return "/" }
        defer { free(p) }
        return String(cString: p)
    }
}
