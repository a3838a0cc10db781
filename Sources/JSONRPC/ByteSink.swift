/// Where the protocol's bytes go: stdout in the binary, a `MemoryPipe` in tests. Called from one thread
/// only (the writer), with whole frames.
public protocol ByteSink: Sendable {
    /// Writes every byte, blocking as long as it takes; false when the other side is gone (EPIPE), after
    /// which nothing more is written.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
}
