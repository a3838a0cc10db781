/// One line's entry in `.log.idx`: where its bytes are in `execution.log`, which stream wrote it and when it
/// was read. Fixed size, so that line `seq` is at byte `seq * 24` and `count` is the file size / 24, which is
/// what lets `logs` serve any range or the tail without reading the log itself.
///
/// Layout (little-endian): offset u64 · length u32 (newline excluded) · stream u8 · 3 pad bytes · time_ms i64.
public struct LogIndexEntry: Sendable, Equatable {
    public static let size = 24

    public var offset: UInt64
    public var length: UInt32
    public var stream: UInt8
    public var timeMillis: Int64

    public init(offset: UInt64, length: UInt32, stream: UInt8, timeMillis: Int64) {
        self.offset = offset; self.length = length; self.stream = stream; self.timeMillis = timeMillis
    }

    /// Decodes the entry at `at` in `raw`; the caller guarantees 24 bytes are there.
    @inline(__always)
    public init(_ raw: UnsafeRawBufferPointer, at: Int) {
        offset = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        length = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 8, as: UInt32.self))
        stream = raw[at + 12]
        timeMillis = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at + 16, as: Int64.self))
    }
}
