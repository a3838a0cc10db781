import Glibc

/// A `ByteSink` on a descriptor (the protocol's stdout): `write(2)` until everything is out. Partial writes
/// continue, EINTR retries, EAGAIN (a non-blocking descriptor) waits for room; EPIPE means the client is gone.
public struct FileDescriptorSink: ByteSink {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, -1)
                continue
            }
            if e != EPIPE { StderrLog.write("protocol output failed: \(String(cString: strerror(e)))") }
            return false
        }
        return true
    }
}
