import Base

/// Copies the code a run uses into `<run_dir>/code`, with size and SHA-256 of each file.
///
/// Which files:
/// - a `strategy.yaml` beside the script lists them (`files:`); it replaces import analysis. A listed
///   folder is taken whole; a listed file that is missing is a warning and capture goes on. A manifest whose
///   `entry:` names another script in the same folder is not this script's and is ignored.
/// - else a Python script (`.py`, or no extension and a `python` shebang) is analysed: its imports, resolved
///   by `ModuleResolver` from the script's folder and the workspace root, followed recursively.
/// - else the script alone.
///
/// Where they go: paths stay relative to the script's folder, so `code/` mirrors it and `code/<script>` runs
/// as the original did (a rerun starts it from there; files it reads relative to itself are beside it).
/// A file outside the script's folder but inside the workspace (a module found from the workspace root) goes
/// to `code/_workspace/<path from the workspace root>`; a rerun puts `code/_workspace` on PYTHONPATH where
/// the original had the workspace root. Files outside both are not copied (a warning names them).
public enum CodeCapture {
    /// The folder in `code/` for files that live in the workspace but outside the script's folder.
    public static let workspacePrefix = "_workspace"

    /// Captures the code for `entry` (absolute path of the script) into `codeDir` (`<run_dir>/code`).
    public static func capture(entry: String, workspaceRoot: String, codeDir: String) -> CodeCaptureResult {
        let selection = select(entry: entry, workspaceRoot: workspaceRoot)
        guard selection.found else {
            return CodeCaptureResult(mode: .single, files: [], warnings: selection.warnings, log: selection.log)
        }
        var result = copy(selection.files, into: codeDir, mode: selection.mode, warnings: selection.warnings,
                          log: selection.log)
        result.entry = selection.entry
        return result
    }

    /// Which files capture takes for `entry`, and where each goes in `code/`, without copying anything: what
    /// `capture` copies and what a result cache key hashes are the same files by construction.
    public static func select(entry: String, workspaceRoot: String) -> CodeSelection {
        let entry = PathText.normalize(entry)
        let workspace = PathText.normalize(workspaceRoot)
        let scriptDir = PathText.parent(entry)
        var selection = CodeSelection()
        guard FileSystem.kind(entry) == .file else {
            selection.found = false
            selection.warnings = ["code capture: script \(entry) not found"]
            selection.log = ["code capture: nothing captured"]
            return selection
        }
        var sources: [String] = []
        let manifestPath = scriptDir + "/" + StrategyManifest.fileName
        if FileSystem.kind(manifestPath) == .file, let bytes = try? FileSystem.readFile(manifestPath, limit: 1 << 20) {
            let manifest = StrategyManifest.parseDocument(yaml: String(decoding: bytes, as: UTF8.self))
            if let declared = manifest.entry, PathText.join(scriptDir, declared) != entry {
                selection.log.append("code capture: \(StrategyManifest.fileName) is for \(declared), not \(PathText.fileName(entry)): ignored")
            } else {
                selection.mode = .manifest
                sources = manifestFiles(manifest.files, scriptDir: scriptDir, entry: entry, warnings: &selection.warnings)
            }
        }
        if selection.mode != .manifest {
            if isPython(entry) {
                selection.mode = .imports
                sources = ModuleResolver.localModules(entry: entry, searchPaths: [scriptDir, workspace]).map(\.path)
            } else {
                sources = [entry]
            }
        }
        for source in sources {
            guard let stored = storedPath(source, scriptDir: scriptDir, workspace: workspace) else {
                selection.warnings.append("code capture: \(source) is outside the workspace: not captured")
                continue
            }
            selection.files.append((source, stored))
        }
        selection.entry = storedPath(entry, scriptDir: scriptDir, workspace: workspace)
        return selection
    }

    /// For a rerun: copies an earlier run's `code/` folder as it is into this run's `code/`, so the rerun
    /// runs exactly the captured code (a manifest's data files included) and not today's working tree. The
    /// earlier run's `git.diff` is provenance, not code, and stays where it is.
    public static func recapture(fromCodeDir original: String, mode: CodeCaptureMode, entry: String?, codeDir: String) -> CodeCaptureResult {
        let original = PathText.normalize(original)
        let pairs = FileSystem.walkFiles(original).filter { $0 != GitInfo.diffFileName }.map { (original + "/" + $0, $0) }
        var warnings: [String] = []
        if pairs.isEmpty { warnings.append("code capture: \(original) holds no captured code") }
        var result = copy(pairs, into: codeDir, mode: mode, warnings: warnings, log: ["code capture: copied from \(original)"])
        result.entry = entry
        return result
    }

    /// Describes code already in `codeDir` (a rerun's, copied there before its script started) without
    /// copying it again: every file with size and SHA-256, `git.diff` aside.
    public static func describe(codeDir: String, mode: CodeCaptureMode, entry: String?) -> CodeCaptureResult {
        var files: [CapturedFile] = []
        var warnings: [String] = []
        for rel in FileSystem.walkFiles(codeDir) where rel != GitInfo.diffFileName {
            do {
                let (sha, size) = try SHA256.hashFile(path: codeDir + "/" + rel)
                files.append(CapturedFile(path: rel, size: size, sha256: sha))
            } catch {
                warnings.append("code capture: \(rel): \(error)")
            }
        }
        let noun = files.count == 1 ? "file" : "files"
        return CodeCaptureResult(mode: mode, entry: entry, files: files, warnings: warnings,
                                 log: ["code capture: rerun of captured code (\(files.count) \(noun))"])
    }

    /// The PYTHONPATH entry a run from `codeDir` needs, when capture stored workspace modules there.
    public static func pythonPath(codeDir: String) -> String? {
        let dir = codeDir + "/" + workspacePrefix
        return FileSystem.kind(dir) == .directory ? dir : nil
    }

    /// Copies and hashes each file, then writes the summary line the log starts with.
    private static func copy(_ pairs: [(source: String, stored: String)], into codeDir: String, mode: CodeCaptureMode,
                             warnings: [String], log: [String]) -> CodeCaptureResult {
        var warnings = warnings
        var log = log
        var files: [CapturedFile] = []
        var createdDirs: Set<String> = []
        let copier = FileCopier()
        for (source, stored) in pairs {
            let destination = codeDir + "/" + stored
            do {
                let dir = PathText.parent(destination)
                if createdDirs.insert(dir).inserted { try FileSystem.makeDirectories(dir) }
                let (size, sha) = try copier.copy(from: source, to: destination)
                files.append(CapturedFile(path: stored, size: size, sha256: sha))
                log.append("captured \(stored)")
            } catch {
                warnings.append("code capture: \(stored): \(error)")
            }
        }
        files.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        let label: String
        switch mode {
        case .manifest: label = StrategyManifest.fileName
        case .imports: label = "import analysis"
        case .single: label = "single file"
        }
        let noun = files.count == 1 ? "file" : "files"
        log.insert("code capture: \(label) (\(files.count) \(noun))", at: 0)
        return CodeCaptureResult(mode: mode, files: files, warnings: warnings, log: log)
    }

    /// True for a script Python would run: a `.py`/`.pyw` file, or an extensionless one with a `python`
    /// shebang.
    public static func isPython(_ path: String) -> Bool {
        let ext = PathText.fileExtension(path)?.lowercased() ?? ""
        if ext == "py" || ext == "pyw" { return true }
        if !ext.isEmpty { return false }
        let head = FileSystem.readPrefix(path, count: 256)
        guard head.starts(with: Array("#!".utf8)) else { return false }
        let firstLine = String(decoding: head.prefix(while: { $0 != 0x0A }), as: UTF8.self)
        return firstLine.contains("python")
    }

    /// Where a source file goes inside `code/`; nil when it is outside both the script's folder and the
    /// workspace.
    static func storedPath(_ source: String, scriptDir: String, workspace: String) -> String? {
        if let rel = PathText.relative(source, to: scriptDir), !rel.isEmpty { return rel }
        if let rel = PathText.relative(source, to: workspace), !rel.isEmpty { return workspacePrefix + "/" + rel }
        return nil
    }

    /// The manifest's entries as absolute file paths, folders expanded, the entry script always included.
    private static func manifestFiles(_ items: [String], scriptDir: String, entry: String, warnings: inout [String]) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        func add(_ p: String) { if seen.insert(p).inserted { out.append(p) } }
        for item in items {
            let path = PathText.join(scriptDir, item)
            switch FileSystem.kind(path) {
            case .file: add(path)
            case .directory:
                // Bytecode caches and VCS internals are not code the user listed.
                for rel in FileSystem.walkFiles(path) where !rel.split(separator: "/").contains(where: { $0 == "__pycache__" || $0 == ".git" }) {
                    add(path + "/" + rel)
                }
            default: warnings.append("\(StrategyManifest.fileName): listed file \(item) is missing")
            }
        }
        // The manifest describes what the script needs; the script itself is needed even if unlisted.
        if !seen.contains(entry) { out.insert(entry, at: 0) }
        return out
    }
}
