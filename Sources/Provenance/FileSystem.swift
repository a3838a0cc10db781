import Glibc

/// The few file-system operations the module needs, on plain paths with Glibc calls. Foundation's
/// FileManager is avoided on the capture path: it is several times slower per call and opens files without
/// O_CLOEXEC, which would leak descriptors into children the supervisor spawns concurrently.
package enum FileSystem {
    /// What a path is, without following a final symlink when `followLinks` is false.
    package enum Kind: Sendable { case file, directory, other, missing }

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

    /// Size and modification time in nanoseconds, or nil when the path does not exist.
    package static func sizeAndMTime(_ path: String) -> (size: Int64, mtimeNanos: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// The path with symlinks resolved, or the path itself when it cannot be resolved.
    package static func realPath(_ path: String) -> String {
        guard let p = realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }

    /// Entry names of a directory (without `.` and `..`), unsorted; nil when it cannot be read.
    package static func entries(_ dir: String) -> [(name: String, isDirectory: Bool)]? {
        guard let d = opendir(dir) else { return nil }
        defer { closedir(d) }
        var out: [(String, Bool)] = []
        while let ent = readdir(d) {
            let type = ent.pointee.d_type
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isDir = type == UInt8(DT_DIR)
            // Some file systems report DT_UNKNOWN; symlinks to directories count as directories, as Python
            // treats them.
            if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) { isDir = kind(dir + "/" + name) == .directory }
            out.append((name, isDir))
        }
        return out
    }

    /// Every regular file under `root`, as paths relative to it, sorted bytewise. Symlinked directories are
    /// not entered (they could loop); `skip` names top-level entries to leave out. With `linksOutside` false,
    /// a symlink to a file is listed only when its target is under `root` too (a run's results may not make
    /// the server read `/etc/passwd` or the run's private spec by linking to them).
    package static func walkFiles(_ root: String, skipTopLevel skip: Set<String> = [],
                                  linksOutside: Bool = true) -> [String] {
        var out: [String] = []
        let realRoot = realPath(root)
        func visit(_ rel: String) {
            let dir = rel.isEmpty ? root : root + "/" + rel
            guard let list = entries(dir) else { return }
            for (name, _) in list {
                if rel.isEmpty && skip.contains(name) { continue }
                let childRel = rel.isEmpty ? name : rel + "/" + name
                switch kind(root + "/" + childRel, followLinks: false) {
                case .directory: visit(childRel)
                case .file: out.append(childRel)
                case .other:
                    // A symlink to a regular file is content the run produced or reads: include it.
                    guard kind(root + "/" + childRel) == .file else { break }
                    if linksOutside || PathText.relative(realPath(root + "/" + childRel), to: realRoot) != nil { out.append(childRel) }
                case .missing: break
                }
            }
        }
        visit("")
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Creates a directory and its parents; succeeds when it already exists.
    package static func makeDirectories(_ path: String) throws {
        if path.isEmpty || kind(path) == .directory { return }
        let parent = PathText.parent(path)
        if parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw ProvenanceError.io(path: path, operation: "mkdir", errno: errno)
        }
    }

    /// The whole content of a file, refusing files over `limit` bytes (a stray multi-GB summary.csv must not
    /// exhaust memory).
    package static func readFile(_ path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw ProvenanceError.missingFile(path: path) }
            throw ProvenanceError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        var out: [UInt8] = []
        if fstat(fd, &st) == 0, st.st_size > 0 {
            if Int(st.st_size) > limit {
                throw ProvenanceError.invalidContent(path: path, reason: "larger than \(limit) bytes")
            }
            out.reserveCapacity(Int(st.st_size))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ProvenanceError.io(path: path, operation: "read", errno: errno)
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<got])
            if out.count > limit { throw ProvenanceError.invalidContent(path: path, reason: "larger than \(limit) bytes") }
        }
        return out
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

    /// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename. A reader sees
    /// the old document or the new one, never half of one, even if the writer dies mid-way.
    package static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temp = "\(path).tmp.\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw ProvenanceError.io(path: temp, operation: "open", errno: errno) }
        var ok = false
        defer { if !ok { unlink(temp) } }
        do {
            defer { close(fd) }
            try writeAll(fd: fd, bytes: bytes, path: temp)
            if fsync(fd) != 0 { throw ProvenanceError.io(path: temp, operation: "fsync", errno: errno) }
        }
        if rename(temp, path) != 0 { throw ProvenanceError.io(path: path, operation: "rename", errno: errno) }
        ok = true
    }

    /// write(2) until every byte is out, across partial writes and EINTR.
    package static func writeAll(fd: Int32, bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd: fd, bytes: $0, path: path) }
    }

    package static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ProvenanceError.io(path: path, operation: "write", errno: errno)
            }
            offset += n
        }
    }
}
