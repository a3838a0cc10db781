import Base

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
        /// The file's extension with its dot (`.py`), or "" when it has none (or is a dot file: `.env`).
        var fileExtension: String
    }

    static func resolve(_ script: String, scriptsDir: String) throws(CoreError) -> Resolved {
        guard !script.isEmpty, !script.utf8.contains(0) else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        let dir = PathText.normalize(scriptsDir)
        let absolute = PathText.join(dir, script)
        guard PathText.isInside(absolute, dir) else { throw .scriptOutsideWorkspace(script: script, scriptsDir: scriptsDir) }
        // "." or "a/..": the scripts dir itself, which is inside but is no script.
        guard absolute != dir else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        // Symlinks: the real file must be inside the real scripts dir.
        let realDir = FileSystem.realpath(dir) ?? dir
        guard let real = FileSystem.realpath(absolute) else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        guard PathText.isInside(real, realDir) else { throw .scriptOutsideWorkspace(script: script, scriptsDir: scriptsDir) }
        guard FileSystem.kind(real) == .file else { throw .scriptNotFound(script: script, scriptsDir: scriptsDir) }
        return Resolved(relative: PathText.relative(absolute, to: dir) ?? absolute, absolute: absolute,
                        fileExtension: PathText.fileExtension(absolute).map { "." + $0 } ?? "")
    }
}
