import Foundation

/// Reads the protocol input on a dedicated thread into a 64 KB buffer, from whatever `ByteSource` the
/// connection has.
enum InputReader {
    static let bufferSize = 64 * 1024

    /// Starts the thread. `onBytes` gets every chunk as it arrives; `onEnd` runs once at end of input (or a
    /// read error), on the same thread. The thread ends after `onEnd`, or as soon as `onBytes` returns false.
    static func start(source: any ByteSource, onBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Bool,
                      onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = source.read(into: buffer)
                guard n > 0 else { break }
                if !onBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { return }
            }
            onEnd()
        }
        thread.name = "jsonrpc-reader"
        // Deeply nested JSON is parsed recursively (up to JSONParser.maxDepth) and inline handlers run here.
        thread.stackSize = 8 << 20
        thread.start()
    }
}
