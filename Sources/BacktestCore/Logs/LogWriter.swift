import Base
import Glibc

/// Appends lines to a run's `execution.log` and `.log.idx`. Lines are gathered in a `Batch` and written with
/// one `pwrite(2)` per file per batch (the supervisor makes one batch per pipe read), the log before the
/// index: a reader that sees an index entry can always read its bytes. No fsync: a follower reads through
/// the page cache, and a crash of the machine ends the run anyway.
///
/// A write that fails (a full disk) loses only the lines that did not make it: the files are cut back to
/// the last whole line, the loss is counted in `loss`, and the next batch is tried again at the same place,
/// so capture resumes as soon as there is space. Writes are positional (pwrite at offsets the writer keeps)
/// so that a failed, partial write never shifts where later lines go.
///
/// Used by one thread (the supervisor's capture loop).
public final class LogWriter {
    public let paths: RunPaths
    private let logFD: Int32
    private let indexFD: Int32
    /// Buffers kept between batches so that their capacity is reused.
    private var spare = Batch(offset: 0, firstSeq: 0)
    /// Lines that could not be written, and why.
    public private(set) var loss = LogLoss()
    /// What was lost, for callers that only need to know whether everything was written (nil then).
    public var failure: String? { loss.warning }

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
        if b.count > 0 { write(&b) }
        b.log.removeAll(keepingCapacity: true)
        b.index.removeAll(keepingCapacity: true)
        spare = b
    }

    /// Writes a batch and moves it on past the lines that were kept. All of them, normally; after a failed
    /// write, the lines whose bytes and index entry are both complete, the others being counted as lost.
    private func write(_ b: inout Batch) {
        let logBytes = b.log.withUnsafeBytes { AtomicFile.pwriteAll(logFD, $0, at: b.offset) }
        let logError = errno
        // Only lines whose bytes are all in the log may get an index entry.
        let whole = logBytes == b.log.count ? b.count : b.linesEnding(within: logBytes)
        let indexAt = UInt64(b.firstSeq) * UInt64(LogIndexEntry.size)
        let indexBytes = b.index.withUnsafeBytes { raw in
            AtomicFile.pwriteAll(indexFD, UnsafeRawBufferPointer(rebasing: raw[0..<(whole * LogIndexEntry.size)]), at: indexAt)
        }
        let kept = indexBytes / LogIndexEntry.size
        if kept == b.count {
            loss.wrote()
            b.offset += UInt64(b.log.count)
            b.firstSeq += kept
            return
        }
        loss.lost(b.count - kept, atSeq: b.firstSeq + kept, error: whole < b.count ? logError : errno)
        // Cut both files back to the kept lines: a partial index entry would shift every later one, and log
        // bytes no entry points to would sit in the middle of the next lines. Shrinking needs no space.
        let keptEnd = kept == 0 ? b.offset : b.endOfLine(kept - 1)
        if indexBytes % LogIndexEntry.size != 0 { _ = ftruncate(indexFD, off_t(indexAt) + off_t(kept * LogIndexEntry.size)) }
        if keptEnd < b.offset + UInt64(logBytes) { _ = ftruncate(logFD, off_t(keptEnd)) }
        b.offset = keptEnd
        b.firstSeq += kept
    }
}

extension LogWriter.Batch {
    /// File offset just past line `k`'s newline.
    func endOfLine(_ k: Int) -> UInt64 {
        let offset = UInt64(littleEndian: index[3 * k])
        let length = UInt64(littleEndian: index[3 * k + 1]) & 0xFFFF_FFFF
        return offset + length + 1
    }

    /// How many of the first lines end (newline included) within the first `bytes` bytes of the batch.
    func linesEnding(within bytes: Int) -> Int {
        let limit = offset + UInt64(bytes)
        var n = 0
        while n < count, endOfLine(n) <= limit { n += 1 }
        return n
    }
}
