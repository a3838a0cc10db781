/// Serialises JSON values compactly (or indented) into UTF-8. Keys keep their insertion order; `/` is not
/// escaped; non-ASCII text is written as UTF-8; non-finite doubles become null (JSON has no NaN).
public struct JSONWriter {
    public var bytes: [UInt8] = []
    /// Writes a kept literal (`.number`) as it was read (`2e3`) instead of as its value (`2000.0`). Off by
    /// default; on where the client's own input is written back: error data, results (a run's params in
    /// `status`), and run.json / .spec.json / the index, which keep a run's params as the client wrote them.
    public var numbersAsWritten = false

    public init(reserving n: Int = 256) { bytes.reserveCapacity(n) }

    public static func encode(_ v: JSONValue, numbersAsWritten: Bool = false) -> [UInt8] {
        var w = JSONWriter()
        w.numbersAsWritten = numbersAsWritten
        w.write(v)
        return w.bytes
    }

    public static func string(_ v: JSONValue, numbersAsWritten: Bool = false) -> String {
        String(decoding: encode(v, numbersAsWritten: numbersAsWritten), as: UTF8.self)
    }

    /// Two-space indented output with a trailing newline, for files people read (run.json, metadata).
    /// `numbersAsWritten`: kept literals as written (run.json keeps a run's params as the client wrote them).
    public static func pretty(_ v: JSONValue, numbersAsWritten: Bool = false) -> [UInt8] {
        var w = JSONWriter()
        w.numbersAsWritten = numbersAsWritten
        w.writePretty(v, indent: 0)
        w.bytes.append(0x0A)
        return w.bytes
    }

    /// `rendered`, an object as `pretty` writes it, with `members` added at its end: the bytes `pretty` gives
    /// for the object with them, without rendering the rest again. None of `members` may be in it already.
    /// Nil when `rendered` is no non-empty object written by `pretty`.
    public static func pretty(extending rendered: [UInt8], with members: [(String, JSONValue)],
                              numbersAsWritten: Bool = false) -> [UInt8]? {
        let closing: [UInt8] = [0x0A, UInt8(ascii: "}"), 0x0A]
        guard rendered.count > 4, rendered.first == UInt8(ascii: "{"), rendered.suffix(3).elementsEqual(closing) else { return nil }
        var w = JSONWriter()
        w.numbersAsWritten = numbersAsWritten
        w.bytes.reserveCapacity(rendered.count + 1024)
        w.bytes.append(contentsOf: rendered.dropLast(3))
        for (k, e) in members {
            w.bytes.append(UInt8(ascii: ","))
            w.newline(2)
            w.writeString(k)
            w.append(": ")
            w.writePretty(e, indent: 2)
        }
        w.bytes.append(contentsOf: closing)
        return w.bytes
    }

    public mutating func write(_ v: JSONValue) {
        switch v {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): writeInt(i)
        case .double(let d): writeDouble(d)
        case .number(let n):
            if numbersAsWritten { bytes.append(contentsOf: n.text.utf8) } else { write(n.value) }
        case .string(let s): writeString(s)
        case .array(let a):
            bytes.append(UInt8(ascii: "["))
            for (n, e) in a.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                write(e)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (k, e) in o {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                writeString(k)
                bytes.append(UInt8(ascii: ":"))
                write(e)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func writePretty(_ v: JSONValue, indent: Int) {
        switch v {
        case .array(let a) where !a.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (n, e) in a.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 2)
                writePretty(e, indent: indent + 2)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let o) where !o.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (k, e) in o {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                newline(indent + 2)
                writeString(k)
                append(": ")
                writePretty(e, indent: indent + 2)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        default: write(v)
        }
    }

    mutating func newline(_ indent: Int) {
        bytes.append(0x0A)
        for _ in 0..<indent { bytes.append(0x20) }
    }

    public mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    public mutating func appendRaw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    public mutating func writeInt(_ i: Int64) {
        if i == 0 { bytes.append(48); return }
        var m = i.magnitude
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { t in
            while m > 0 { t[n] = UInt8(48 + m % 10); m /= 10; n += 1 }
        }
        if i < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &tmp) { t in
            var k = n - 1
            while k >= 0 { bytes.append(t[k]); k -= 1 }
        }
    }

    public mutating func writeDouble(_ d: Double) {
        guard d.isFinite else { append("null"); return }
        if d.rounded() == d && abs(d) < 1e15 {
            // Keep a fractional part so that the value reads back as a double, as it was sent.
            if d == 0 && d.sign == .minus { append("-0.0"); return }
            writeInt(Int64(d)); append(".0"); return
        }
        bytes.append(contentsOf: d.description.utf8)
    }

    /// Writes a quoted string, escaping what JSON requires and nothing more.
    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { u in writeEscaped(u) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Escapes raw bytes that are already valid UTF-8 (the caller guarantees it).
    public mutating func writeEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for idx in 0..<u.count {
            let c = u[idx]
            if c >= 0x20 && c != 0x22 && c != 0x5C { continue }
            if idx > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<idx])) }
            runStart = idx + 1
            switch c {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            default:
                append("\\u00")
                bytes.append(hexDigit(c >> 4))
                bytes.append(hexDigit(c & 0xF))
            }
        }
        if runStart < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count])) }
    }

    /// A lower-case hexadecimal digit for a nibble (no table allocation on the escape path).
    private func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? 48 + n : 87 + n }
}
