import Base
#if canImport(Glibc)
import Glibc
#endif

/// A streaming RFC 4180 reader over a file: quoted fields, doubled quotes, newlines inside quotes, CRLF line ends
/// and a UTF-8 byte order mark. It reads 1 MiB at a time with `pread(2)` into one buffer and hands out fields as
/// byte ranges inside it, so memory stays constant however long the file is, and a caller that only needs a few
/// columns creates no `String` per row.
///
/// Unlike Python's `csv` module (which, in its default mode, silently swallows the rest of the file into one field),
/// a quote that never closes is an error naming the line where it opened.
///
/// Lenient where pandas is lenient: a quote in the middle of an unquoted field is an ordinary character, and text
/// after a closing quote (`"ab"c`) is kept as part of the field. Blank lines are skipped.
///
/// Usage:
/// ```swift
/// var csv = try CSVReader(path: "trades.csv")
/// while try csv.next() {
///     print(csv.line, csv.fieldCount, csv.string(0))
/// }
/// ```
/// The current record's fields are valid until the next call to `next()`.
public struct CSVReader: ~Copyable {
    /// A record may not be longer than this. Past it the reader decides, by reading on without keeping the text,
    /// whether a quote runs to the end of the file (an unterminated quote) or the record is just too long.
    public static let maxRecordBytes = 2 << 20

    let fd: Int32
    let chunkSize: Int
    var buf: UnsafeMutablePointer<UInt8>
    var capacity: Int
    /// Start of the next record in `buf`.
    var pos = 0
    /// End of the valid bytes in `buf`.
    var end = 0
    var eof = false
    /// File offset of `buf[0]`.
    var bufferFileOffset: Int64
    /// Next file offset to read.
    var readOffset: Int64
    /// Stop (return no more records) when the next record would start at this offset; see `init(path:from:stopAt:)`.
    var stopOffset: Int64?
    /// True when the stop offset fell inside a record, so the reader went on to the end of the file instead.
    public private(set) var overranStop = false

    var starts: UnsafeMutablePointer<Int>
    var ends: UnsafeMutablePointer<Int>
    var quoted: UnsafeMutablePointer<Bool>
    var fieldCapacity = 64

    /// Number of fields in the current record.
    public private(set) var fieldCount = 0
    /// Physical line (1-based) where the current record starts; lines inside quoted fields are counted.
    public private(set) var line = 0
    /// Line on which the next record starts.
    var nextLine: Int
    /// True until the start of the file has been looked at for a byte order mark.
    var checkBOM: Bool

    /// Opens `path` for reading from its start.
    public init(path: String, chunkSize: Int = 1 << 20) throws(CSVError) {
        try self.init(path: path, from: 0, stopAt: nil, firstLine: 1, chunkSize: chunkSize)
    }

    /// Opens `path` and reads records from the byte offset `from`, which the caller promises is the start of a
    /// record, until a record would start at `stopAt`. Lines are numbered from `firstLine`. This is how a large
    /// file is read by two threads at once: if `stopAt` turns out to fall inside a quoted field, `overranStop`
    /// becomes true and this reader continues to the end of the file, so its result alone is right.
    init(path: String, from: Int64, stopAt: Int64?, firstLine: Int, chunkSize: Int = 1 << 20) throws(CSVError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            throw CSVError(kind: .io, line: 0, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.chunkSize = max(chunkSize, 64)
        capacity = self.chunkSize
        buf = .allocate(capacity: capacity)
        starts = .allocate(capacity: fieldCapacity)
        ends = .allocate(capacity: fieldCapacity)
        quoted = .allocate(capacity: fieldCapacity)
        bufferFileOffset = from
        readOffset = from
        stopOffset = stopAt
        nextLine = firstLine
        checkBOM = from == 0
    }

    deinit {
        close(fd)
        buf.deallocate()
        starts.deallocate()
        ends.deallocate()
        quoted.deallocate()
    }

    /// Bytes of the file consumed so far (for progress and cancellation checks).
    public var bytesConsumed: Int64 { bufferFileOffset + Int64(pos) }

    /// Advances to the next record. Returns false at the end of the file (or at the stop offset).
    public mutating func next() throws(CSVError) -> Bool {
        while true {
            if checkBOM {
                if end - pos < 3 && !eof { try refill(); continue }
                // A UTF-8 byte order mark (Excel writes one) is not part of the first column's name.
                if end - pos >= 3, buf[pos] == 0xEF, buf[pos + 1] == 0xBB, buf[pos + 2] == 0xBF { pos += 3 }
                checkBOM = false
            }
            if let stop = stopOffset {
                let at = bufferFileOffset + Int64(pos)
                if at == stop { return false }
                if at > stop { overranStop = true; stopOffset = nil }
            }
            switch parseRecord() {
            case .record(let recordEnd, let newlines):
                pos = recordEnd
                line = nextLine
                nextLine += newlines
                // A blank line is no record (pandas and Python's csv skip it too).
                if fieldCount == 1 && ends[0] == starts[0] { continue }
                return true
            case .endOfData:
                return false
            case .needMore:
                try refill()
            case .unterminated(let newlinesBeforeQuote):
                throw CSVError(kind: .unterminatedQuote, line: nextLine + newlinesBeforeQuote,
                               reason: "a quoted field opened here is never closed")
            }
        }
    }

    enum ParseResult {
        case record(end: Int, newlines: Int)
        case needMore
        case endOfData
        /// A quote is open at the end of the file; the payload counts the lines before the opening quote.
        case unterminated(Int)
    }

    /// Parses one record at `pos` from what is in the buffer. If the record is not complete and the file has more,
    /// answers `.needMore` and the caller refills and parses the record again from its start: records are short,
    /// so starting over costs less than keeping a resumable state in the hot loop.
    @inline(__always)
    mutating func parseRecord() -> ParseResult {
        let p = buf
        let end = self.end
        let atEOF = eof
        var i = pos
        if i >= end { return atEOF ? .endOfData : .needMore }
        let comma = UInt8(ascii: ","), nl = UInt8(ascii: "\n"), quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r")
        var nf = 0
        var newlines = 0
        while true {
            if nf == fieldCapacity { growFields() }
            if i < end && p[i] == quote {
                let open = i
                let linesBeforeQuote = newlines
                var j = i + 1
                while true {
                    guard let qp = memchr(p + j, Int32(quote), end - j) else {
                        if atEOF { return .unterminated(linesBeforeQuote) }
                        return .needMore
                    }
                    let q = UnsafeMutablePointer<UInt8>(qp.assumingMemoryBound(to: UInt8.self)) - p
                    newlines += countNewlines(p + j, q - j)
                    if q + 1 < end {
                        if p[q + 1] == quote { j = q + 2; continue }
                        i = q + 1
                        break
                    }
                    if !atEOF { return .needMore }
                    i = q + 1
                    break
                }
                // Text after the closing quote stays in the field (lenient, as pandas is).
                while i < end {
                    let c = p[i]
                    if c == comma || c == nl { break }
                    i += 1
                }
                starts[nf] = open
                ends[nf] = i
                quoted[nf] = true
            } else {
                let s = i
                i = CSVReader.findDelimiter(p, i, end)
                starts[nf] = s
                ends[nf] = i
                quoted[nf] = false
            }
            nf += 1
            if i == end {
                if !atEOF { return .needMore }
                trimCR(nf - 1, p, cr)
                fieldCount = nf
                return .record(end: end, newlines: 0)
            }
            if p[i] == comma { i += 1; continue }
            trimCR(nf - 1, p, cr)
            fieldCount = nf
            return .record(end: i + 1, newlines: newlines + 1)
        }
    }

    /// The first `,` or `\n` at or after `i`, or `end`. Eight bytes at a time (SWAR: a byte equal to the target
    /// becomes zero after xor, and the has-zero-byte trick finds the lowest one), which roughly halves the time of
    /// the hot loop over a byte-by-byte scan.
    @inline(__always)
    static func findDelimiter(_ p: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= end {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            let a = w ^ 0x2C2C_2C2C_2C2C_2C2C
            let b = w ^ 0x0A0A_0A0A_0A0A_0A0A
            let t = ((a &- ones) & ~a | (b &- ones) & ~b) & highs
            if t != 0 { return i + t.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let c = p[i]
            if c == UInt8(ascii: ",") || c == UInt8(ascii: "\n") { return i }
            i += 1
        }
        return end
    }

    @inline(__always)
    func trimCR(_ k: Int, _ p: UnsafeMutablePointer<UInt8>, _ cr: UInt8) {
        if ends[k] > starts[k] && p[ends[k] - 1] == cr { ends[k] -= 1 }
    }

    func countNewlines(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> Int {
        var c = 0
        for k in 0..<n where p[k] == UInt8(ascii: "\n") { c += 1 }
        return c
    }

    mutating func growFields() {
        let n = fieldCapacity * 2
        let s = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let e = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let q = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        s.update(from: starts, count: fieldCapacity)
        e.update(from: ends, count: fieldCapacity)
        q.update(from: quoted, count: fieldCapacity)
        starts.deallocate(); ends.deallocate(); quoted.deallocate()
        starts = s; ends = e; quoted = q
        fieldCapacity = n
    }

    /// Moves the unfinished record to the front of the buffer, grows the buffer if that record fills it, and reads
    /// more of the file behind it.
    mutating func refill() throws(CSVError) {
        if pos > 0 {
            let tail = end - pos
            if tail > 0 { memmove(buf, buf + pos, tail) }
            bufferFileOffset += Int64(pos)
            end = tail
            pos = 0
        }
        if end == capacity {
            if capacity >= CSVReader.maxRecordBytes { try giveUpOnLongRecord() }
            let n = min(capacity * 2, CSVReader.maxRecordBytes)
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            b.update(from: buf, count: end)
            buf.deallocate()
            buf = b
            capacity = n
        }
        try fill()
    }

    /// Reads into the free part of the buffer; sets `eof` when the file has no more bytes.
    mutating func fill() throws(CSVError) {
        while end < capacity {
            let want = capacity - end
            let n = pread(fd, buf + end, want, off_t(readOffset))
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError(kind: .io, line: nextLine, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true; return }
            end += n
            readOffset += Int64(n)
            return
        }
    }

    /// The current record does not fit in `maxRecordBytes`. Read on to the end of the file counting quotes
    /// (each `"` flips "inside a quoted field", a doubled quote flips twice) without keeping the text: if the file
    /// ends inside quotes, the record's quote was never closed, which is the error worth reporting.
    mutating func giveUpOnLongRecord() throws(CSVError) -> Never {
        var inside = false
        var linesBeforeOpen = 0
        var newlines = 0
        var k = pos
        let p = buf
        // The record so far, from its start.
        while k < end {
            let c = p[k]
            if c == UInt8(ascii: "\"") {
                if !inside { linesBeforeOpen = newlines }
                inside.toggle()
            } else if c == UInt8(ascii: "\n") { newlines += 1 }
            k += 1
        }
        var off = readOffset
        while true {
            let n = pread(fd, buf, capacity, off_t(off))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            off += Int64(n)
            for k in 0..<n {
                let c = p[k]
                if c == UInt8(ascii: "\"") {
                    if !inside { linesBeforeOpen = newlines }
                    inside.toggle()
                } else if c == UInt8(ascii: "\n") { newlines += 1 }
            }
        }
        if inside {
            throw CSVError(kind: .unterminatedQuote, line: nextLine + linesBeforeOpen,
                           reason: "a quoted field opened here is never closed")
        }
        throw CSVError(kind: .recordTooLong, line: nextLine,
                       reason: "a record longer than \(CSVReader.maxRecordBytes >> 20) MiB starts here")
    }

    /// Where to split a file between two readers: the offset just after the first newline at or after `near`, or nil if there is none worth splitting at.
    /// Whether that newline ends a record (it may be inside a quoted field) is checked by the reader of the first half.
    static func lineStart(path: String, near: Int64, after minimum: Int64) -> Int64? {
        guard let fd = try? ReadOnlyFile(path: path) else { return nil }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var off = max(near, minimum)
        while true {
            let n = buf.withUnsafeMutableBytes { fd.read(into: $0, at: off) }
            if n <= 0 { return nil }
            if let i = buf[0..<n].firstIndex(of: UInt8(ascii: "\n")) { return off + Int64(i) + 1 }
            off += Int64(n)
        }
    }

    // MARK: - Fields of the current record

    /// The field's bytes as they are in the file, quotes included. For the hot path: no copy, no String.
    @inline(__always)
    func raw(_ k: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: buf + starts[k], count: ends[k] - starts[k])
    }

    /// True if the field was written with quotes (its raw bytes then need unescaping).
    @inline(__always)
    public func isQuoted(_ k: Int) -> Bool { quoted[k] }

    /// True if the field holds no characters (`` or `""`).
    @inline(__always)
    public func isEmpty(_ k: Int) -> Bool {
        let n = ends[k] - starts[k]
        return n == 0 || (quoted[k] && n == 2)
    }

    /// Calls `body` with the field's value: the raw bytes for an unquoted field, the unescaped bytes for a quoted
    /// one. The buffer is valid only inside `body`.
    @inline(__always)
    public func withField<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if !quoted[k] { return try body(raw(k)) }
        let bytes = unescaped(k)
        return try bytes.withUnsafeBufferPointer { try body($0) }
    }

    /// The field's value with quotes removed and doubled quotes made single.
    public func unescaped(_ k: Int) -> [UInt8] {
        let r = raw(k)
        guard quoted[k] else { return Array(r) }
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var inside = false
        var i = 0
        while i < r.count {
            let c = r[i]
            if c == UInt8(ascii: "\"") {
                if inside && i + 1 < r.count && r[i + 1] == UInt8(ascii: "\"") {
                    out.append(c)
                    i += 2
                    continue
                }
                inside.toggle()
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }

    /// The field's value as a String (invalid UTF-8 is replaced).
    public func string(_ k: Int) -> String {
        withField(k) { String(decoding: $0, as: UTF8.self) }
    }

    /// All fields of the current record as Strings (for headers and small files).
    public func strings() -> [String] { (0..<fieldCount).map { string($0) } }
}
