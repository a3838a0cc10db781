/// Why a text is not JSON, with the byte offset where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

/// A hand-written RFC 8259 parser over UTF-8 bytes. Foundation's JSONSerialization is several times slower
/// on the small messages this server lives on (see docs/performance.md).
public struct JSONParser {
    /// Nesting deeper than this is refused instead of overflowing the stack on hostile input.
    public static let maxDepth = 512

    /// Parses one JSON text. `keepingNumberText`: every number that `.int` cannot spell back the same
    /// (`1.50`, `2e3`, `-0`, beyond 64 bits) becomes `.number` with its literal, for callers that must echo
    /// or pass on numbers as written (the JSON-RPC layer); off, numbers are `.int` or `.double` only.
    public static func parse(_ bytes: [UInt8], keepingNumberText: Bool = false) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSONValue in
            try parse(buf, keepingNumberText: keepingNumberText)
        }
    }

    public static func parse(_ text: String, keepingNumberText: Bool = false) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), keepingNumberText: keepingNumberText)
    }

    public static func parse(_ buf: UnsafeBufferPointer<UInt8>, keepingNumberText: Bool = false)
        throws(JSONParseError) -> JSONValue
    {
        var p = Cursor(buf: buf, i: 0, keepNumberText: keepingNumberText)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i != buf.count { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    struct Cursor {
        let buf: UnsafeBufferPointer<UInt8>
        var i: Int
        /// Numbers that `.int` cannot reproduce become `.number` with their literal instead of `.double`.
        var keepNumberText = false

        func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: i, reason: reason) }

        mutating func skipSpace() {
            while i < buf.count {
                let c = buf[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
            }
        }

        mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
            guard i < buf.count else { throw fail("unexpected end of input") }
            switch buf[i] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(JSONParseError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= buf.count else { throw fail("unexpected end of input") }
            let w = word.utf8Start
            for k in 0..<n where buf[i + k] != w[k] { throw fail("invalid literal") }
            i += n
        }

        mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > JSONParser.maxDepth { throw fail("nesting too deep") }
            i += 1
            var obj = JSONObject()
            // Names seen so far, once the object is big enough for a linear duplicate check to hurt: without
            // it a hostile 64 MB object of distinct names would cost O(n²).
            var seen: Set<String>?
            skipSpace()
            if i < buf.count, buf[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
            while true {
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let key = try string()
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                let v = try value(depth: depth)
                // Duplicate names: the last one wins, as in most parsers.
                let duplicate: Bool
                if obj.count < 16 {
                    duplicate = obj[key] != nil
                } else {
                    if seen == nil { seen = Set(obj.keys) }
                    duplicate = !seen!.insert(key).inserted
                }
                if duplicate { obj[key] = v } else { obj.appendUnchecked(key, v) }
                skipSpace()
                guard i < buf.count else { throw fail("unexpected end of input") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
            if depth > JSONParser.maxDepth { throw fail("nesting too deep") }
            i += 1
            var arr: [JSONValue] = []
            skipSpace()
            if i < buf.count, buf[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
            while true {
                skipSpace()
                arr.append(try value(depth: depth))
                skipSpace()
                guard i < buf.count else { throw fail("unexpected end of input") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func string() throws(JSONParseError) -> String {
            i += 1
            let start = i
            // Fast path: no escapes, valid UTF-8.
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
                    i += 1
                    return s
                }
                if c == UInt8(ascii: "\\") || c < 0x20 { break }
                i += 1
            }
            var out = [UInt8](UnsafeBufferPointer(rebasing: buf[start..<i]))
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < buf.count else { break }
                let e = buf[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        // A high surrogate must be followed by an escaped low surrogate.
                        if i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") {
                            i += 2
                            let low = try hex4()
                            if low >= 0xDC00 && low < 0xE000 {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else { scalar = 0xFFFD }
                        } else { scalar = 0xFFFD }
                    } else if scalar >= 0xDC00 && scalar < 0xE000 { scalar = 0xFFFD }
                    appendUTF8(&out, scalar)
                default: throw fail("invalid escape")
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(JSONParseError) -> UInt32 {
            guard i + 4 <= buf.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[i]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        func appendUTF8(_ out: inout [UInt8], _ s: UInt32) {
            if s < 0x80 { out.append(UInt8(s)) }
            else if s < 0x800 { out.append(UInt8(0xC0 | s >> 6)); out.append(UInt8(0x80 | s & 0x3F)) }
            else if s < 0x10000 {
                out.append(UInt8(0xE0 | s >> 12)); out.append(UInt8(0x80 | s >> 6 & 0x3F))
                out.append(UInt8(0x80 | s & 0x3F))
            } else {
                out.append(UInt8(0xF0 | s >> 18)); out.append(UInt8(0x80 | s >> 12 & 0x3F))
                out.append(UInt8(0x80 | s >> 6 & 0x3F)); out.append(UInt8(0x80 | s & 0x3F))
            }
        }

        mutating func number() throws(JSONParseError) -> JSONValue {
            let start = i
            var negative = false
            if buf[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            guard i < buf.count, buf[i] >= 48, buf[i] <= 57 else { throw fail("invalid number") }
            if buf[i] == 48, i + 1 < buf.count, buf[i + 1] >= 48, buf[i + 1] <= 57 { throw fail("leading zero") }
            var mag: UInt64 = 0
            var overflow = false
            while i < buf.count, buf[i] >= 48, buf[i] <= 57 {
                let (m1, o1) = mag.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(buf[i] - 48))
                overflow = overflow || o1 || o2
                mag = m2
                i += 1
            }
            var isInteger = true
            if i < buf.count, buf[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                guard i < buf.count, buf[i] >= 48, buf[i] <= 57 else { throw fail("invalid number") }
                while i < buf.count, buf[i] >= 48, buf[i] <= 57 { i += 1 }
            }
            if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
                guard i < buf.count, buf[i] >= 48, buf[i] <= 57 else { throw fail("invalid number") }
                while i < buf.count, buf[i] >= 48, buf[i] <= 57 { i += 1 }
            }
            // `-0` is an integer to the plain reader, but `.int(0)` would spell it back as `0`.
            if isInteger && !overflow && !(keepNumberText && negative && mag == 0) {
                if negative, mag <= UInt64(Int64.max) + 1 { return .int(mag == UInt64(Int64.max) + 1 ? Int64.min : -Int64(mag)) }
                if !negative, mag <= UInt64(Int64.max) { return .int(Int64(mag)) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            // The syntax is checked above; the double is worked out only if someone asks for it.
            if keepNumberText { return .number(JSONNumber(unchecked: text)) }
            guard let d = Double(text) else { throw fail("invalid number") }
            return .double(d)
        }
    }
}
