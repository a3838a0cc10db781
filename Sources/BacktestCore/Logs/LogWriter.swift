import Glibc

/// Appends lines to a run's `execution.log` and `.log.idx`. Lines are gathered in a `Batch` and written with
/// one `write(2)` per file per batch (the supervisor makes one batch per pipe read), the log before the
/// index: a reader that sees an index entry can always read its bytes. No fsync: a follower reads through
/// the page cache, and a crash of the machine ends the run anyway.
///
/// Used by one thread (the supervisor's capture loop).
public final class LogWriter {
    public let paths: RunPaths
    private let logFD: Int32
    private let indexFD: Int32
    /// Buffers kept between batches so that their capacity is reused.
    private var spare = Batch(offset: 0, firstSeq: 0)
    /// The first write error, if any; later lines are dropped rather than written at wrong offsets.
    public private(set) var failure: String?

    /// Lines gathered by a batch. A plain struct used as a local variable: appending to it costs no
    /// exclusivity checks, which on a class's stored arrays cost more than the appends themselves.
    public struct Batch {
        /// Log bytes of the batch's lines, each followed by `\n`.
        var log: [UInt8] = []
        /// Index entries as three little-endian words each: offset · length | stream << 32 · time. This is
        /// the 24-byte entry layout (length u32, stream u8, 3 zero bytes in the middle word).
        var index: [UInt64] = []
        /// File offset of `log[0]`.
        var offset: UInt64
        /// Seq of the batch's first line.
        var firstSeq: Int

        init(offset: UInt64, firstSeq: Int) { self.offset = offset; self.firstSeq = firstSeq }

        /// Lines gathered so far in this batch.
        public var count: Int { index.count / 3 }

        @inline(__always)
        public mutating func append(_ line: UnsafeBufferPointer<UInt8>, stream: LogStream, timeMillis: Int64) {
            index.append((offset + UInt64(log.count)).littleEndian)
            index.append((UInt64(UInt32(truncatingIfNeeded: line.count)) | UInt64(stream.indexCode) << 32).littleEndian)
            index.append(UInt64(bitPattern: timeMillis).littleEndian)
            log.append(contentsOf: line)
            log.append(0x0A)
        }
    }

    /// Creates (truncates) both files: a run is captured once, from its start.
    public init(paths: RunPaths) throws(CoreError) {
        self.paths = paths
        logFD = open(paths.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw .workspace(path: paths.log, reason: errnoText()) }
        indexFD = open(paths.logIndex, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard indexFD >= 0 else {
            let e = errnoText()
            close(logFD)
            throw .workspace(path: paths.logIndex, reason: e)
        }
        spare.log.reserveCapacity(160 * 1024)
        spare.index.reserveCapacity(3 * 8 * 1024)
    }

    deinit {
        close(logFD)
        close(indexFD)
    }

    /// Lines written so far: the next line's seq.
    public var lineCount: Int { spare.firstSeq }

    /// Gathers lines with `body` and writes them: the log bytes first, then their index entries.
    public func batch(_ body: (inout Batch) -> Void) {
        var b = spare
        spare = Batch(offset: 0, firstSeq: 0)
        body(&b)
        if b.count > 0, failure == nil {
            let ok = b.log.withUnsafeBytes { AtomicFile.writeAll(logFD, $0) }
                && b.index.withUnsafeBytes { AtomicFile.writeAll(indexFD, $0) }
            if !ok { failure = errnoText() }
        }
        if failure == nil {
            b.offset += UInt64(b.log.count)
            b.firstSeq += b.count
        }
        b.log.removeAll(keepingCapacity: true)
        b.index.removeAll(keepingCapacity: true)
        spare = b
    }
}
