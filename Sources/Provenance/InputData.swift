import Base

/// Describes the `inputs` of a run: files, or folders taken recursively.
public enum InputData {
    /// Sizes and SHA-256 of every input file, in the order given (a folder's files sorted by path).
    /// `paths` may be absolute or relative to `relativeTo` (the workspace root). A missing or unreadable
    /// path is a warning, never an error: the metadata records what could be read.
    public static func describe(paths: [String], relativeTo base: String) -> (files: [InputFile], warnings: [String]) {
        let base = PathText.normalize(base)
        var files: [InputFile] = []
        var warnings: [String] = []
        var seen: Set<String> = []
        func record(_ absolute: String) {
            guard seen.insert(absolute).inserted else { return }
            do {
                let (sha, size) = try SHA256.hashFile(path: absolute)
                let shown = PathText.relative(absolute, to: base).flatMap { $0.isEmpty ? nil : $0 } ?? absolute
                files.append(InputFile(path: shown, size: size, sha256: sha))
            } catch {
                warnings.append("input \(absolute): \(error)")
            }
        }
        for path in paths {
            let absolute = PathText.join(base, path)
            switch FileSystem.kind(absolute) {
            case .file: record(absolute)
            case .directory:
                let inside = FileSystem.walkFiles(absolute)
                if inside.isEmpty { warnings.append("input \(path): empty folder") }
                for rel in inside { record(absolute + "/" + rel) }
            case .other: warnings.append("input \(path): not a regular file or folder")
            case .missing: warnings.append("input \(path): not found")
            }
        }
        return (files, warnings)
    }
}
