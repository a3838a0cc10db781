import Glibc

/// The file-system calls the modules share, on plain paths with straight Glibc calls. Foundation's
/// FileManager is avoided: it allocates a lot, reports errors vaguely, is several times slower per call, and
/// opens files without O_CLOEXEC, which would leak descriptors into children spawned concurrently.
package enum FileSystem {
    /// What a path is.
    package enum Kind: Sendable { case file, directory, other, missing }

    /// What `path` is; a final symlink is followed unless `followLinks` is false (then it is `.other`).
    package static func kind(_ path: String, followLinks: Bool = true) -> Kind {
        var st = stat()
        let rc = followLinks ? stat(path, &st) : lstat(path, &st)
        if rc != 0 { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// fsync of a file written earlier without it; false when it could not be opened or synced.
    @discardableResult
    package static func sync(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fsync(fd) == 0
    }

    package static func isDirectory(_ path: String) -> Bool { kind(path) == .directory }

    /// The canonical absolute path (symlinks resolved), or nil when it does not exist.
    package static func realpath(_ path: String) -> String? {
        guard let p = Glibc.realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// `path` (absolute, normalised) with its longest existing prefix resolved through symlinks: where a
    /// directory about to be created would really end up.
    package static func resolveExistingPrefix(_ path: String) -> String {
        var head = path, tail: [Substring] = []
        while head != "/" {
            if let real = realpath(head) {
                return tail.isEmpty ? real : PathText.normalize(real + "/" + tail.reversed().joined(separator: "/"))
            }
            guard let slash = head.lastIndex(of: "/") else { break }
            tail.append(head[head.index(after: slash)...])
            head = slash == head.startIndex ? "/" : String(head[..<slash])
        }
        return PathText.normalize("/" + tail.reversed().joined(separator: "/"))
    }

    /// Where the symlink `path` points, as stored in the link (possibly relative); nil when it is no symlink.
    package static func linkTarget(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// (mtime ns, inode, size) of a file, following symlinks: enough to notice cheaply that it was replaced or
    /// changed. nil when it does not exist.
    package static func fingerprint(_ path: String) -> FileFingerprint? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileFingerprint(mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                               inode: UInt64(st.st_ino), size: Int64(st.st_size))
    }

    /// Names in a directory, unsorted, without `.` and `..`; nil when it cannot be read (errno says why).
    package static func entries(_ dir: String) -> [String]? {
        var names: [String] = []
        let ok = forEachEntry(dir) { name, _ in names.append(name) }
        return ok ? names : nil
    }

    /// Names in a directory with whether each is a directory (a symlink to one counts, as Python treats it),
    /// unsorted; nil when it cannot be read. Costs a `stat` only for symlinks and file systems that do not
    /// report entry types.
    package static func typedEntries(_ dir: String) -> [(name: String, isDirectory: Bool)]? {
        var out: [(String, Bool)] = []
        let ok = forEachEntry(dir) { name, type in
            var isDir = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) { isDir = kind(dir + "/" + name) == .directory }
            out.append((name, isDir))
        }
        return ok ? out : nil
    }

    /// The one readdir loop: every entry but `.` and `..`, with its `d_type`. False when `dir` cannot be opened.
    private static func forEachEntry(_ dir: String, _ body: (String, UInt8) -> Void) -> Bool {
        guard let d = opendir(dir) else { return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { body(name, e.pointee.d_type) }
        }
        return true
    }

    /// mkdir -p: creates `path` and its missing parents; succeeds when it is a directory already.
    package static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        guard !path.isEmpty else { return }
        if mkdir(path, mode) == 0 { return }
        var code = errno
        if code == ENOENT {
            let parent = PathText.parent(path)
            if parent != path && parent != "." { try makeDirectories(parent, mode: mode) }
            if mkdir(path, mode) == 0 { return }
            code = errno
        }
        guard code == EEXIST else { throw FileError(operation: "mkdir", path: path, code: code) }
        guard isDirectory(path) else { throw FileError(operation: "mkdir", path: path, reason: "exists and is not a directory") }
    }

    /// Up to `count` bytes from the start of a file (empty when it cannot be read): enough for a shebang.
    package static func readPrefix(_ path: String, count: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return [] }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        let got = out.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
        return got > 0 ? Array(out[0..<got]) : []
    }

    /// Every regular file under `root`, as paths relative to it, sorted bytewise. Symlinked directories are
    /// not entered (they could loop); `skip` names top-level entries to leave out. With `linksOutside` false,
    /// a symlink to a file is listed only when its target is under `root` too (a run's results may not make
    /// the server read `/etc/passwd` or the run's private spec by linking to them).
    package static func walkFiles(_ root: String, skipTopLevel skip: Set<String> = [],
                                  linksOutside: Bool = true) -> [String] {
        var out: [String] = []
        let realRoot = realpath(root) ?? root
        func visit(_ rel: String) {
            let dir = rel.isEmpty ? root : root + "/" + rel
            guard let names = entries(dir) else { return }
            for name in names {
                if rel.isEmpty && skip.contains(name) { continue }
                let childRel = rel.isEmpty ? name : rel + "/" + name
                switch kind(root + "/" + childRel, followLinks: false) {
                case .directory: visit(childRel)
                case .file: out.append(childRel)
                case .other:
                    // A symlink to a regular file is content the run produced or reads: include it.
                    guard kind(root + "/" + childRel) == .file else { break }
                    let target = realpath(root + "/" + childRel) ?? root + "/" + childRel
                    if linksOutside || PathText.relative(target, to: realRoot) != nil { out.append(childRel) }
                case .missing: break
                }
            }
        }
        visit("")
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Removes `path` and everything below it, not following links (a link inside is removed, not what it
    /// points to). Best effort: what cannot be removed stays.
    package static func removeTree(_ path: String) {
        if kind(path, followLinks: false) == .directory, let names = entries(path) {
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// What `stat` says about a file, enough to tell that it changed since last time.
package struct FileFingerprint: Equatable, Sendable {
    package var mtimeNanos: Int64
    package var inode: UInt64
    package var size: Int64
}
