import Glibc

/// A `ByteSource` on a descriptor (stdin) with blocking `read(2)`. (Foundation's `FileHandle` readers lose
/// data or abort on Linux: see docs/architecture.md.)
public struct FileDescriptorSource: ByteSource {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                // Some parents hand over a non-blocking stdin: wait for data instead of spinning.
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, -1)
                continue
            }
            StderrLog.write("protocol input failed: \(String(cString: strerror(e)))")
            return 0
        }
    }
}
