import Base
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
        ISOTime.append(millis: atMillis, to: &w.bytes)
        w.append("\",\"text\":")
        w.writeString(text)
        w.append("}")
    }
}
