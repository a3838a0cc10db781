import Glibc

/// Writes a file so that readers see either the old content or the new, never a mix: write a temp file in
/// the same directory, fsync it, rename it over the target. Records, specs, metadata documents, reports and
/// the interpreter cache are all written this way, so a writer that dies mid-way (even by SIGKILL) leaves at
/// most a temp file `<name>.tmp-<pid>-<random>` behind, which `sweepTemporaries` removes once its writer is
/// gone.
public enum AtomicFile {
    /// The marker between a target's name and the writer's pid in a temp file's name.
    static let temporaryMarker = ".tmp-"

    /// `sync: false` skips the fsync (~0.4 ms), for files whose loss in a power cut costs nothing.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, sync: Bool = true) throws(FileError) {
        let tmp = path + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(operation: "open", path: tmp, code: errno) }
        var failure: FileError?
        if !bytes.withUnsafeBytes({ writeAll(fd, $0) }) {
            failure = FileError(operation: "write", path: tmp, code: errno)
        } else if sync && fsync(fd) != 0 {
            failure = FileError(operation: "fsync", path: tmp, code: errno)
        }
        close(fd)
        if failure == nil && rename(tmp, path) != 0 { failure = FileError(operation: "rename", path: path, code: errno) }
        if let failure {
            unlink(tmp)
            throw failure
        }
    }

    /// Replaces `path` with `bytes` written into `spare`, a file already allocated on the same file system
    /// (`RecordReserve`): the bytes go into blocks the file already owns, the rest of it is given back, and the
    /// file is renamed over the target. So a record still lands when the disk is full. `spare` is consumed.
    public static func commit(_ bytes: [UInt8], through spare: String, to path: String) throws(FileError) {
        let fd = open(spare, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(operation: "open", path: spare, code: errno) }
        var failure: FileError?
        if bytes.withUnsafeBytes({ pwriteAll(fd, $0, at: 0) }) != bytes.count {
            failure = FileError(operation: "write", path: spare, code: errno)
        } else if ftruncate(fd, off_t(bytes.count)) != 0 {
            failure = FileError(operation: "ftruncate", path: spare, code: errno)
        } else if fsync(fd) != 0 {
            failure = FileError(operation: "fsync", path: spare, code: errno)
        }
        close(fd)
        if failure == nil && rename(spare, path) != 0 { failure = FileError(operation: "rename", path: path, code: errno) }
        if let failure { throw failure }
    }

    /// Removes the temp files in `dir` whose writer is dead. A live writer's temp file is left alone:
    /// removing it would make its rename fail.
    public static func sweepTemporaries(in dir: String) {
        for name in FileSystem.entries(dir) ?? [] {
            guard let r = name.firstRange(of: temporaryMarker) else { continue }
            let pidText = name[r.upperBound...].prefix { $0 != "-" }
            guard let pid = Int32(pidText), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(dir + "/" + name) }
        }
    }

    /// write(2) until done, retrying on EINTR and short writes. False when a write failed (errno says why).
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
        guard let file = try? ReadOnlyFile(path: path) else { return nil }
        return try? file.readAll(limit: Int.max)
    }
}
