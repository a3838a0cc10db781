import Glibc

/// An open file read with `pread(2)`, closed when the value goes away: for the log scan and chunked `read`
/// (a whole file must not be loaded), for a few bytes (finding a split point), and for whole small files.
package final class ReadOnlyFile {
    package let fd: Int32
    package let path: String

    package init(path: String) throws(FileError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(operation: "open", path: path, code: errno) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// The size `fstat` reports now (0 for /proc files, whose size is unknown until read).
    package var size: Int64? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file. -1 on error.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                return done > 0 ? done : -1
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// The whole file, or nil when it is larger than `limit` bytes. Throws when a read fails.
    package func readAll(limit: Int) throws(FileError) -> [UInt8]? {
        var out: [UInt8] = []
        if let size, size > 0 {
            guard size <= Int64(limit) else { return nil }
            out.reserveCapacity(Int(size))
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var off: Int64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(into: $0, at: off) }
            if n < 0 { throw FileError(operation: "read", path: path, code: errno) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { return nil }
            off += Int64(n)
        }
    }
}
