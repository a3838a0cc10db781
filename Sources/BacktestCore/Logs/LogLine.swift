import JSON

/// One captured output line as `logs` and `run/log` serve it. The text is the line's bytes with invalid
/// UTF-8 replaced by U+FFFD (the file keeps the bytes as written).
public struct LogLine: Sendable, Equatable {
    /// 0-based position of the line in `.log.idx`.
    public var seq: Int
    public var stream: LogStream
    /// When the supervisor read it, epoch milliseconds.
    public var atMillis: Int64
    public var text: String

    public init(seq: Int, stream: LogStream, atMillis: Int64, text: String) {
        self.seq = seq; self.stream = stream; self.atMillis = atMillis; self.text = text
    }

    /// `{seq, stream, at, text}`.
    public func json() -> JSONValue {
        [
            "seq": .int(Int64(seq)), "stream": .string(stream.rawValue),
            "at": .string(ISOTime.format(millis: atMillis)), "text": .string(text),
        ]
    }

    /// Writes the same object as `json()` straight into `w`, without building a `JSONValue`: log
    /// notifications carry up to a million of these, and the tree costs several allocations per line.
    public func appendJSON(to w: inout JSONWriter) {
        w.append("{\"seq\":")
        w.writeInt(Int64(seq))
        w.append(stream == .stdout ? ",\"stream\":\"stdout\",\"at\":\"" : ",\"stream\":\"stderr\",\"at\":\"")
        LogTime.appendISO(millis: atMillis, to: &w.bytes)
        w.append("\",\"text\":")
        w.writeString(text)
        w.append("}")
    }
}

/// ISO 8601 UTC text of epoch milliseconds written straight into a byte buffer. `ISOTime.format` builds
/// a String from many pieces; this is called once per log line in notifications, so it stays allocation-free.
enum LogTime {
    static func appendISO(millis: Int64, to out: inout [UInt8]) {
        let ms = Int(((millis % 1000) + 1000) % 1000)
        let secs = (millis - Int64(ms)) / 1000
        var days = Int(secs / 86400)
        var rem = Int(secs - Int64(days) * 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): no tables, no gmtime.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        @inline(__always) func put(_ v: Int, _ width: Int) {
            var div = 1
            for _ in 1..<width { div *= 10 }
            var v = v
            while div > 0 { out.append(UInt8(48 + (v / div) % 10)); v %= div; div /= 10 }
        }
        put(y, 4); out.append(45); put(m, 2); out.append(45); put(d, 2); out.append(84)
        put(rem / 3600, 2); out.append(58); put((rem / 60) % 60, 2); out.append(58); put(rem % 60, 2)
        out.append(46); put(ms, 3); out.append(90)
    }
}
