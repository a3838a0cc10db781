#if canImport(Glibc)
import Glibc
#endif

/// What `stat(2)` says about a path (following symlinks), without Foundation's FileManager round trips.
struct FileInfo {
    var exists: Bool
    var isDirectory: Bool
    var size: Int64
    /// Modification time, seconds since 1970 with nanoseconds.
    var modified: Double

    init(path: String) {
        var st = stat()
        if stat(path, &st) != 0 {
            exists = false; isDirectory = false; size = 0; modified = 0
            return
        }
        exists = true
        isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        size = Int64(st.st_size)
        modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    /// Joins a directory and a relative path.
    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}
