/// Where the protocol's bytes come from: stdin in the binary, a `MemoryPipe` in tests. `read` blocks until
/// some bytes are there, and is called from one thread only (the reader).
public protocol ByteSource: Sendable {
    /// Fills the start of `buffer`; returns how many bytes, or 0 at the end of input (and on a read error,
    /// which the source reports itself: to the server both mean the client has stopped talking).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}
