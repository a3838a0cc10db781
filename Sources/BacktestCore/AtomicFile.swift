import Glibc

/// Writes a file so that readers see either the old content or the new, never a mix: write a temp file in
/// the same directory, fsync it, rename it over the target. A crash leaves at most a `.tmp-*` file behind,
/// which `sweepTemporaries` removes.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, sync: Bool = true) throws(CoreError) {
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .workspace(path: path, reason: errnoText()) }
        var ok = bytes.withUnsafeBytes { writeAll(fd, $0) }
        if ok && sync { ok = fsync(fd) == 0 }
        let err = errnoText()
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw .workspace(path: path, reason: ok ? errnoText() : err)
        }
    }

    /// Replaces `path` with `bytes` written into `spare`, a file already allocated on the same file system
    /// (`RecordReserve`): the bytes go into blocks the file already owns, the rest of it is given back, and the
    /// file is renamed over the target. So a record still lands when the disk is full. `spare` is consumed.
    public static func commit(_ bytes: [UInt8], through spare: String, to path: String) throws(CoreError) {
        let fd = open(spare, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .workspace(path: path, reason: errnoText()) }
        let written = bytes.withUnsafeBytes { pwriteAll(fd, $0, at: 0) }
        var ok = written == bytes.count
        if ok { ok = ftruncate(fd, off_t(bytes.count)) == 0 && fsync(fd) == 0 }
        let err = errnoText()
        close(fd)
        guard ok, rename(spare, path) == 0 else { throw .workspace(path: path, reason: ok ? errnoText() : err) }
    }

    /// Removes temp files a crash left in `dir`.
    public static func sweepTemporaries(in dir: String) {
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name.contains(".tmp-") { unlink(dir + "/" + name) }
        }
    }

    /// write(2) until done, retrying on EINTR and short writes.
    public static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < buf.count {
            let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// pwrite(2) of all of `buf` at `offset`, retrying on EINTR and short writes. Returns how many bytes were
    /// written: fewer than `buf.count` when a write failed (errno says why), so that a caller can keep what
    /// made it to the file and cut the rest.
    public static func pwriteAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, at offset: UInt64) -> Int {
        var done = 0
        while done < buf.count {
            let n = Glibc.pwrite(fd, buf.baseAddress! + done, buf.count - done, off_t(offset) + off_t(done))
            if n < 0 { if errno == EINTR { continue }; return done }
            if n == 0 { errno = ENOSPC; return done }
            done += n
        }
        return done
    }

    /// The whole file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0 { out.reserveCapacity(Int(st.st_size)) }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }
}

func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }
