/// The spellings of "no value" that pandas' `read_csv` turns into NaN by default. The reference validator
/// checks nulls after pandas has read the file, so `None`, `NaN` or `N/A` in a required column count as missing,
/// exactly like an empty field.
enum NullTokens {
    static let tokens: [[UInt8]] = [
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
        "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
    ].map { Array($0.utf8) }

    /// True if the field is empty or one of pandas' null spellings. Fast for the usual case: a field that starts
    /// with a digit is never null.
    @inline(__always)
    static func isNull(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if b.isEmpty { return true }
        if b.count > 8 || (b[0] &- 48) <= 9 { return false }
        return isNullSlow(b)
    }

    static func isNullSlow(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for t in tokens where t.count == b.count {
            if t.withUnsafeBufferPointer({ tb in memcmpEqual(tb, b) }) { return true }
        }
        return false
    }

    @inline(__always)
    static func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<a.count where a[k] != b[k] { return false }
        return true
    }
}
