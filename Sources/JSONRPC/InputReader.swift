import Foundation
import Glibc

/// Reads the protocol input on a dedicated thread with blocking `read(2)` into a 64 KB buffer. (Foundation's
/// `FileHandle` readers lose data or abort on Linux: see /work/shared/notes/swift-on-linux.md.)
enum InputReader {
    static let bufferSize = 64 * 1024

    /// Starts the thread. `onBytes` gets every chunk as it arrives; `onEnd` runs once at end of input or on
    /// a read error, on the same thread. The thread ends after `onEnd`, or as soon as `onBytes` returns false.
    static func start(fd: Int32, onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool,
                      onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = read(fd, buffer.baseAddress, bufferSize)
                if n > 0 {
                    if !onBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { return }
                    continue
                }
                if n < 0 {
                    let e = errno
                    if e == EINTR { continue }
                    if e == EAGAIN || e == EWOULDBLOCK {
                        // Some parents hand over a non-blocking stdin: wait for data instead of spinning.
                        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                        _ = poll(&p, 1, -1)
                        continue
                    }
                    StderrLog.write("protocol input failed: \(String(cString: strerror(e)))")
                }
                onEnd()
                return
            }
        }
        thread.name = "jsonrpc-reader"
        // Deeply nested JSON is parsed recursively (up to JSONParser.maxDepth) and inline handlers run here.
        thread.stackSize = 8 << 20
        thread.start()
    }
}
