import Glibc

/// Finds the file a `run` names and refuses the ones it must not start: outside the scripts dir (by `..`,
/// an absolute path elsewhere, or a symlink that points out), missing, or neither interpreted nor executable.
enum ScriptResolver {
    /// A script that may be started.
    struct Resolved: Equatable {
        /// The path relative to the scripts dir, normalised (`multifile/main.py`): what the record shows.
        var relative: String
        /// The absolute path as named (symlinks inside the scripts dir kept): what argv gets, so that the
        /// script's own directory is the one the user sees.
        var absolute: String
        /// The file's extension with its dot (`.py`), or "" when it has none.
        var fileExtension: String
    }

    static func resolve(_ script: String, scriptsDir: String) throws(CoreError) -> Resolved {
        guard !script.isEmpty, !script.utf8.contains(0) else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        let dir = PathOps.normalize(scriptsDir)
        let absolute = PathOps.join(dir, script)
        guard PathOps.isInside(absolute, dir) else { throw .scriptOutsideWorkspace(script: script, scriptsDir: scriptsDir) }
        // "." or "a/..": the scripts dir itself, which is inside but is no script.
        guard absolute != dir else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        // Symlinks: the real file must be inside the real scripts dir.
        let realDir = PathOps.realpath(dir) ?? dir
        guard let real = PathOps.realpath(absolute) else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        guard PathOps.isInside(real, realDir) else { throw .scriptOutsideWorkspace(script: script, scriptsDir: scriptsDir) }
        var st = stat()
        guard stat(real, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .scriptNotFound(script: script, scriptsDir: scriptsDir)
        }
        let relative = String(absolute.dropFirst(dir == "/" ? 1 : dir.count + 1))
        return Resolved(relative: relative, absolute: absolute, fileExtension: fileExtension(of: absolute))
    }

    /// `.py` for `a/b.py`; "" for `a/b`, `a.d/b` and dot files such as `.env`.
    static func fileExtension(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[dot...])
    }
}
