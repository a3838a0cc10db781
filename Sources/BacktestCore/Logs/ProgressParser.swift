/// Recognises log lines that report progress:
///
/// - a percentage: `42%`, `progress: 40%`, `12.5% done` (0...100, not preceded by `-` or a letter);
/// - a count: `Processing day 5/252 (2024-01-05)`, `batch 3/10` (current ≤ total, total without leading zero);
/// - both, as in a tqdm bar ` 45%|████▌     | 45/100 [00:01<00:02, 40.00it/s]` (the percentage wins).
///
/// Not progress: slash-separated dates (`2024/01/05`, `12/05/2024`), paths (`/data/5/x`), rates (`it/s`).
/// Every line of a run passes through here, so a line without `%` or `/` is rejected by one byte scan.
public enum ProgressParser {
    /// Longest message kept, in bytes (a tqdm bar fits; a 64 KiB line does not need to travel twice).
    static let maxMessageBytes = 300

    public static func parse(_ line: String) -> Progress? {
        var s = line
        return s.withUTF8 { parse(bytes: $0) }
    }

    /// The same on raw line bytes (the text need not be valid UTF-8).
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Progress? {
        var candidate = false
        for c in b where c == 0x25 || c == 0x2F { candidate = true; break }
        guard candidate else { return nil }

        let percent = findPercent(b)
        let fraction = findFraction(b)
        guard percent != nil || fraction != nil else { return nil }
        var p = Progress(percent: percent, current: fraction?.current, total: fraction?.total, message: message(b))
        if p.percent == nil, let f = fraction {
            p.percent = (Double(f.current) * 10000 / Double(f.total)).rounded() / 100
        }
        return p
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F
    }

    /// The first `N%` or `N.N%` standing on its own, 0...100.
    static func findPercent(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        while i < b.count {
            defer { i += 1 }
            guard b[i] == 0x25, i > 0, isDigit(b[i - 1]) else { continue }
            var start = i - 1
            var dots = 0
            while start > 0, isDigit(b[start - 1]) || (b[start - 1] == 0x2E && dots == 0) {
                if b[start - 1] == 0x2E { dots += 1 }
                start -= 1
            }
            if b[start] == 0x2E { continue }  // `.5%`: a fragment of something else
            if start > 0 {
                let before = b[start - 1]
                if isAlnum(before) || before == 0x2D || before == 0x2E || before == 0x2F { continue }
            }
            if i + 1 < b.count, isAlnum(b[i + 1]) { continue }  // `50%s`: a format string
            guard i - start <= 8, let v = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)),
                  v >= 0, v <= 100 else { continue }
            return v
        }
        return nil
    }

    /// The first `current/total` count that is neither part of a date or path nor a rate.
    static func findFraction(_ b: UnsafeBufferPointer<UInt8>) -> (current: Int, total: Int)? {
        var i = 0
        while i < b.count {
            defer { i += 1 }
            guard b[i] == 0x2F, i > 0, i + 1 < b.count, isDigit(b[i - 1]), isDigit(b[i + 1]) else { continue }
            var start = i - 1
            while start > 0, isDigit(b[start - 1]) { start -= 1 }
            if start > 0 {
                let before = b[start - 1]
                if isAlnum(before) || before == 0x2F || before == 0x2E || before == 0x2D || before == 0x3A { continue }
            }
            var end = i + 1
            while end < b.count, isDigit(b[end]) { end += 1 }
            if end < b.count {
                let after = b[end]
                if isAlnum(after) || after == 0x2F || after == 0x2D || after == 0x3A { continue }
                if after == 0x2E || after == 0x2C, end + 1 < b.count, isDigit(b[end + 1]) { continue }
            }
            guard i - start <= 12, end - (i + 1) <= 12, b[i + 1] != 0x30 else { continue }
            let current = number(b, start, i), total = number(b, i + 1, end)
            guard total > 0, current <= total else { continue }
            return (current, total)
        }
        return nil
    }

    static func number(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int {
        var v = 0
        for k in from..<to { v = v * 10 + Int(b[k] - 0x30) }
        return v
    }

    /// The line without surrounding whitespace, capped on a character boundary.
    static func message(_ b: UnsafeBufferPointer<UInt8>) -> String {
        var lo = 0, hi = b.count
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 { hi -= 1 }
        if hi - lo > maxMessageBytes {
            hi = lo + maxMessageBytes
            while hi > lo, b[hi] & 0xC0 == 0x80 { hi -= 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
    }
}
