#if canImport(Glibc)
import Glibc
#endif

/// An open file read with `pread(2)`, closed when the value goes away. Used where a whole file must not be loaded
/// (the log scan, chunked `read`) and where only a few bytes are needed (finding a split point).
final class ReadOnlyFile {
    let fd: Int32

    struct OpenError: Error {
        let errno: Int32
        var reason: String { String(cString: strerror(errno)) }
    }

    init(path: String) throws(OpenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw OpenError(errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file. -1 on error.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
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

    /// The whole file if it is at most `limit` bytes, else nil.
    func readAll(limit: Int) -> [UInt8]? {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var off: Int64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(into: $0, at: off) }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { return nil }
            off += Int64(n)
        }
    }
}
