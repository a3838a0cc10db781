/// Where a value sits in a JSON text, byte for byte. For echoing something exactly as its sender wrote it
/// when the parsed value cannot say how it was spelled: a string with escapes (`"\u0041"` reads as `"A"`)
/// or with a lone surrogate (`"a\ud800"` reads as `"a\u{FFFD}"`, which no client could match).
///
/// It re-reads the text lexically, skipping values without building them, so locating an id after a
/// 60 MB params object costs a scan, not a second parse. Meant for text that has already parsed.
public enum JSONRawSpan {
    /// One step of a path into a JSON text.
    public enum Step: Sendable, Equatable {
        /// An object member by name (the last one of duplicates, as the parser keeps).
        case member(String)
        /// An array element by position.
        case index(Int)
    }

    /// The byte range of the value at `path`; nil when the path does not exist or the text is not JSON.
    public static func locate(_ path: [Step], in bytes: [UInt8]) -> Range<Int>? {
        bytes.withUnsafeBufferPointer { locate(path, in: $0) }
    }

    public static func locate(_ path: [Step], in buf: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var c = JSONParser.Cursor(buf: buf, i: 0)
        c.skipSpace()
        for step in path {
            let found: Int?
            switch step {
            case .member(let name): found = c.memberStart(name)
            case .index(let k): found = c.elementStart(k)
            }
            guard let found else { return nil }
            c.i = found
        }
        let start = c.i
        guard c.skipValue() else { return nil }
        return start..<c.i
    }
}

extension JSONParser.Cursor {
    /// At an object: where the value of its last member `name` starts.
    mutating func memberStart(_ name: String) -> Int? {
        guard i < buf.count, buf[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipSpace()
        if i < buf.count, buf[i] == UInt8(ascii: "}") { return nil }
        var found: Int?
        while true {
            skipSpace()
            guard i < buf.count, buf[i] == UInt8(ascii: "\""), let key = try? string() else { return nil }
            skipSpace()
            guard i < buf.count, buf[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            if key == name { found = i }
            guard skipValue() else { return nil }
            skipSpace()
            guard i < buf.count else { return nil }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "}") { return found }
            return nil
        }
    }

    /// At an array: where its element `k` starts.
    mutating func elementStart(_ k: Int) -> Int? {
        guard k >= 0, i < buf.count, buf[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var n = 0
        while true {
            skipSpace()
            guard i < buf.count, buf[i] != UInt8(ascii: "]") else { return nil }
            if n == k { return i }
            guard skipValue() else { return nil }
            skipSpace()
            guard i < buf.count, buf[i] == UInt8(ascii: ",") else { return nil }
            i += 1
            n += 1
        }
    }

    /// Steps over one value without building it: strings by their quotes, containers by counting brackets
    /// (iteratively, so depth costs no stack), scalars by their characters. False when there is no value here.
    mutating func skipValue() -> Bool {
        var depth = 0
        repeat {
            guard i < buf.count else { return false }
            let c = buf[i]
            switch c {
            case UInt8(ascii: "\""):
                guard skipString() else { return false }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return false }
                depth -= 1
                i += 1
            case UInt8(ascii: ","), UInt8(ascii: ":"), 0x20, 0x0A, 0x0D, 0x09:
                guard depth > 0 else { return false }
                i += 1
            default:
                let start = i
                while i < buf.count, isScalarByte(buf[i]) { i += 1 }
                guard i > start else { return false }
            }
        } while depth > 0
        return true
    }

    /// At a `"`: moves past the closing quote.
    private mutating func skipString() -> Bool {
        i += 1
        while i < buf.count {
            switch buf[i] {
            case UInt8(ascii: "\""): i += 1; return true
            case UInt8(ascii: "\\"): i += 2
            default: i += 1
            }
        }
        return false
    }

    /// The characters of `true`, `false`, `null` and numbers.
    private func isScalarByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
