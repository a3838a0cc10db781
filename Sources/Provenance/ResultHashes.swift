import Base

/// Hashes what a run produced, so that a rerun can be checked file by file.
public enum ResultHashes {
    /// The folder inside `results/` that holds reports made after the run (not results of it).
    public static let reportsFolder = "reports"

    /// Size and SHA-256 of every file under `resultsDir`, recursively, sorted by path, `reports/` left out.
    /// A file that cannot be read is left out too: the caller compares what exists. So is a symlink that
    /// leads out of `results/`: what a run produced is inside it.
    public static func hashAll(resultsDir: String) -> [CapturedFile] {
        var out: [CapturedFile] = []
        for rel in FileSystem.walkFiles(resultsDir, skipTopLevel: [reportsFolder], linksOutside: false) {
            if let (sha, size) = try? SHA256.hashFile(path: resultsDir + "/" + rel) {
                out.append(CapturedFile(path: rel, size: size, sha256: sha))
            }
        }
        return out
    }
}
