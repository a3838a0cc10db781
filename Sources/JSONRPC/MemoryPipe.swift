import Base
import Foundation

/// A one-way byte pipe inside the process: what a test connects a server to instead of stdin and stdout.
/// Writes never block (the buffer grows); reads block until bytes come or the writing side closes.
/// Closing the reading side makes later writes fail, as EPIPE does for a real pipe.
public final class MemoryPipe: ByteSource, ByteSink, Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var readFrom = 0
        var writerClosed = false
        var readerClosed = false
    }
    private let state = ConditionLock(State())

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLockAndBroadcast { s in
            guard !s.readerClosed, !s.writerClosed else { return false }
            s.bytes.append(contentsOf: bytes)
            return true
        }
    }

    /// Convenience for tests.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { write($0) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        readAvailable(into: buffer, deadline: .distantFuture) ?? 0
    }

    /// Like `read`, but gives up at `deadline` (nil then; 0 still means the end).
    public func readAvailable(into buffer: UnsafeMutableRawBufferPointer, deadline: Date) -> Int? {
        state.wait(until: { $0.readFrom < $0.bytes.count || $0.writerClosed }, deadline: deadline) { s -> Int in
            let n = min(buffer.count, s.bytes.count - s.readFrom)
            guard n > 0 else { return 0 }
            s.bytes.withUnsafeBytes { src in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[s.readFrom..<(s.readFrom + n)]))
            }
            s.readFrom += n
            // Give the memory back once everything written so far was read.
            if s.readFrom == s.bytes.count { s.bytes.removeAll(keepingCapacity: true); s.readFrom = 0 }
            return n
        }
    }

    /// The writing side is done: readers see the end once they have read what is left.
    public func closeWriting() { state.withLockAndBroadcast { $0.writerClosed = true } }

    /// The reading side is gone: writes fail from now on.
    public func closeReading() { state.withLockAndBroadcast { $0.readerClosed = true } }
}
