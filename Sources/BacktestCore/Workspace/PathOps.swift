import Glibc

/// The few path and directory operations the workspace needs, on plain strings and straight syscalls
/// (FileManager allocates a lot and reports errors vaguely).
enum PathOps {
    /// `path` made absolute against `base` (when relative), with `.`, `..` and repeated slashes folded
    /// lexically. Symlinks are not resolved: that is `realpath`'s job.
    static func join(_ base: String, _ path: String) -> String {
        normalize(path.hasPrefix("/") ? path : base + "/" + path)
    }

    /// Folds `.`, `..` and `//` in an absolute path without touching the disk.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(p)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `path` (absolute, normalised) with its longest existing prefix resolved through symlinks: where a
    /// directory about to be created would really end up.
    static func resolveExistingPrefix(_ path: String) -> String {
        var head = path, tail: [Substring] = []
        while head != "/" {
            if let real = realpath(head) {
                return tail.isEmpty ? real : normalize(real + "/" + tail.reversed().joined(separator: "/"))
            }
            guard let slash = head.lastIndex(of: "/") else { break }
            tail.append(head[head.index(after: slash)...])
            head = slash == head.startIndex ? "/" : String(head[..<slash])
        }
        return normalize("/" + tail.reversed().joined(separator: "/"))
    }

    /// Whether `path` is `dir` or inside it (both normalised absolute paths).
    static func isInside(_ path: String, _ dir: String) -> Bool {
        path == dir || dir == "/" || path.hasPrefix(dir + "/")
    }

    /// The canonical absolute path (symlinks resolved), or nil when it does not exist.
    static func realpath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p. Returns the errno text of the first failure.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) -> String? {
        if mkdir(path, mode) == 0 || errno == EEXIST { return isDirectory(path) ? nil : "exists and is not a directory" }
        guard errno == ENOENT else { return errnoText() }
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !parent.isEmpty, let e = makeDirectories(parent, mode: mode) { return e }
        if mkdir(path, mode) == 0 || errno == EEXIST { return nil }
        return errnoText()
    }

    /// Names in a directory, without `.` and `..`; nil when it cannot be read.
    static func entries(_ dir: String) -> [String]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// (mtime ns, inode, size) of a file, to notice cheaply that it was replaced or changed.
    static func fingerprint(_ path: String) -> FileFingerprint? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileFingerprint(mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                               inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }
}

/// What `stat` says about a file, enough to tell that it changed since last time.
struct FileFingerprint: Equatable, Sendable {
    var mtimeNanos: Int64
    var inode: UInt64
    var size: Int64
}
