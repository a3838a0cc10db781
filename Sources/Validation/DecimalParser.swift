/// Reads numbers such as `-487.12` straight from CSV bytes. A million trade rows must not each allocate a String
/// only to call `Double(_:)`; the plain decimal form every backtest writes is parsed here in a few nanoseconds,
/// and anything else (exponents, `inf`, `nan`, surrounding spaces, more than 15 digits) falls back to
/// `Double(String)`, so results never differ from Swift's own parser. Package-visible so that Reporting reads the
/// numbers of the same files exactly as the validator does.
package enum DecimalParser {
    /// Exact powers of ten up to 10^15: with a mantissa below 2^53, `mantissa / 10^k` is one correctly rounded
    /// division, so the fast path gives exactly what `Double(String)` gives. (A switch, not a static array: a
    /// global's lazy initialiser check on every row showed up in profiles.)
    @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        default: return 1e15
        }
    }

    /// A parsed number. `cents` is the exact value in hundredths when the text had at most two decimals, so that
    /// sums of money are exact no matter how many rows there are.
    package struct Value {
        package var double: Double
        package var cents: Int64?
    }

    /// The number in `b`, or nil if it is not one. NaN is returned as a value (the caller decides what a NaN
    /// means); an empty field is nil.
    @inline(__always)
    package static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Value? {
        let n = b.count
        if n == 0 { return nil }
        var i = 0
        var negative = false
        let first = b[0]
        if first == UInt8(ascii: "-") { negative = true; i = 1 } else if first == UInt8(ascii: "+") { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawDot = false
        while i < n {
            let c = b[i]
            let d = c &- 48
            if d <= 9 {
                // At most 15 digits: the mantissa then fits a Double exactly.
                if digits >= 15 { return slow(b) }
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                if sawDot { fraction += 1 }
            } else if c == UInt8(ascii: "."), !sawDot {
                sawDot = true
            } else {
                return slow(b)
            }
            i += 1
        }
        if digits == 0 { return slow(b) }
        var v = Double(mantissa)
        if fraction > 0 { v /= powerOfTen(fraction) }
        if negative { v = -v }
        var cents: Int64? = nil
        if fraction <= 2 {
            let (scaled, overflow) = Int64(mantissa).multipliedReportingOverflow(by: fraction == 0 ? 100 : fraction == 1 ? 10 : 1)
            if !overflow { cents = negative ? -scaled : scaled }
        }
        return Value(double: v, cents: cents)
    }

    /// Anything the fast path does not handle: let Swift decide, after trimming spaces (pandas accepts them).
    static func slow(_ b: UnsafeBufferPointer<UInt8>) -> Value? {
        var s = String(decoding: b, as: UTF8.self)
        s = String(s.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
        guard let d = Double(s) else { return nil }
        return Value(double: d, cents: nil)
    }

    /// Convenience for strings (config values, summary metrics).
    static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { u in parse(UnsafeBufferPointer(start: u.baseAddress, count: u.count))?.double }
    }
}
