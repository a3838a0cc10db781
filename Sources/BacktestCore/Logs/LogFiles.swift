import Glibc

/// A run's `.log.idx` and `execution.log` opened for reading, with the two primitives every reader needs:
/// entries by seq, and the text of a set of entries. Reads are `pread`s, so one `LogFiles` can serve any
/// range in any order without seeking state.
final class LogFiles {
    let indexFD: Int32
    let logFD: Int32

    /// Opens both files; nil when either does not exist yet (a run that has not started).
    init?(paths: RunPaths) {
        let i = open(paths.logIndex, O_RDONLY | O_CLOEXEC)
        guard i >= 0 else { return nil }
        let l = open(paths.log, O_RDONLY | O_CLOEXEC)
        guard l >= 0 else { close(i); return nil }
        indexFD = i; logFD = l
    }

    deinit { close(indexFD); close(logFD) }

    /// Complete entries in the index now (a partly written last entry is not counted).
    func count() -> Int {
        var st = stat()
        guard fstat(indexFD, &st) == 0 else { return 0 }
        return Int(st.st_size) / LogIndexEntry.size
    }

    /// Entries `from ..< from + n` (fewer if the index is shorter).
    func entries(from: Int, count n: Int) -> [LogIndexEntry] {
        guard n > 0, from >= 0 else { return [] }
        let bytes = Self.pread(indexFD, offset: from * LogIndexEntry.size, count: n * LogIndexEntry.size)
        let got = bytes.count / LogIndexEntry.size
        var out: [LogIndexEntry] = []
        out.reserveCapacity(got)
        bytes.withUnsafeBytes { raw in
            for k in 0..<got { out.append(LogIndexEntry(raw, at: k * LogIndexEntry.size)) }
        }
        return out
    }

    /// The lines of `entries` (each with its seq), texts read with as few preads as sensible: one read of
    /// the whole span when the lines lie close together (always, without a stream filter), else one per line.
    func lines(_ entries: [(seq: Int, entry: LogIndexEntry)]) -> [LogLine] {
        guard let first = entries.first, let last = entries.last else { return [] }
        var out: [LogLine] = []
        out.reserveCapacity(entries.count)
        let start = first.entry.offset
        let end = last.entry.offset + UInt64(last.entry.length)
        var useful = 0
        for e in entries { useful += Int(e.entry.length) }
        let span = end >= start ? Int(end - start) : Int.max
        if span <= max(1 << 20, 2 * useful) {
            let bytes = Self.pread(logFD, offset: Int(start), count: span)
            bytes.withUnsafeBufferPointer { b in
                for e in entries {
                    let lo = Int(e.entry.offset - start)
                    let hi = min(lo + Int(e.entry.length), b.count)
                    out.append(Self.line(e.seq, e.entry, lo < hi ? UnsafeBufferPointer(rebasing: b[lo..<hi]) : .init(start: nil, count: 0)))
                }
            }
        } else {
            for e in entries {
                let bytes = Self.pread(logFD, offset: Int(e.entry.offset), count: Int(e.entry.length))
                bytes.withUnsafeBufferPointer { out.append(Self.line(e.seq, e.entry, $0)) }
            }
        }
        return out
    }

    private static func line(_ seq: Int, _ e: LogIndexEntry, _ text: UnsafeBufferPointer<UInt8>) -> LogLine {
        // String(decoding:) replaces invalid UTF-8 with U+FFFD, which is what readers promise.
        LogLine(seq: seq, stream: LogStream(indexCode: e.stream) ?? .stdout, atMillis: e.timeMillis,
                text: String(decoding: text, as: UTF8.self))
    }

    /// Up to `count` bytes at `offset`; fewer at end of file.
    static func pread(_ fd: Int32, offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        var got = 0
        buf.withUnsafeMutableBytes { b in
            while got < count {
                let n = Glibc.pread(fd, b.baseAddress! + got, count - got, off_t(offset + got))
                if n < 0 { if errno == EINTR { continue }; break }
                if n == 0 { break }
                got += n
            }
        }
        if got < count { buf.removeSubrange(got...) }
        return buf
    }
}
