import Glibc

/// Appends lines to a run's `execution.log` and `.log.idx`. Lines are gathered in memory and written with one
/// `write(2)` per file per `flush()` (the supervisor flushes after every pipe read), the log before the
/// index: a reader that sees an index entry can always read its bytes. No fsync: a follower reads through
/// the page cache, and a crash of the machine ends the run anyway.
///
/// Used by one thread (the supervisor's capture loop).
public final class LogWriter {
    public let paths: RunPaths
    private let logFD: Int32
    private let indexFD: Int32
    /// Size of `execution.log` once everything gathered so far is written: the next line's offset.
    private var logOffset: UInt64 = 0
    private var logBuffer: [UInt8] = []
    private var indexBuffer: [UInt8] = []
    /// Lines written or gathered: the next line's seq.
    public private(set) var lineCount = 0
    /// The first write error, if any; later lines are dropped rather than written at wrong offsets.
    public private(set) var failure: String?

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
        logBuffer.reserveCapacity(160 * 1024)
        indexBuffer.reserveCapacity(64 * 1024)
    }

    deinit {
        close(logFD)
        close(indexFD)
    }

    /// Gathers one line (without terminator); it reaches the files at the next `flush()`.
    @inline(__always)
    public func append(_ line: UnsafeBufferPointer<UInt8>, stream: LogStream, timeMillis: Int64) {
        let entry = LogIndexEntry(offset: logOffset + UInt64(logBuffer.count), length: UInt32(line.count),
                                  stream: stream.indexCode, timeMillis: timeMillis)
        logBuffer.append(contentsOf: line)
        logBuffer.append(0x0A)
        entry.append(to: &indexBuffer)
        lineCount += 1
    }

    /// Writes what was gathered: the log bytes first, then their index entries.
    public func flush() {
        guard !indexBuffer.isEmpty else { return }
        defer { logBuffer.removeAll(keepingCapacity: true); indexBuffer.removeAll(keepingCapacity: true) }
        guard failure == nil else { return }
        let ok = logBuffer.withUnsafeBytes { AtomicFile.writeAll(logFD, $0) }
            && indexBuffer.withUnsafeBytes { AtomicFile.writeAll(indexFD, $0) }
        if ok { logOffset += UInt64(logBuffer.count) } else { failure = errnoText() }
    }
}
