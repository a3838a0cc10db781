import Glibc

/// Wall-clock time as milliseconds since the epoch, and its ISO 8601 UTC text with milliseconds.
/// Formatted by hand because DateFormatter costs microseconds per call and every log line carries a time.
public enum ISOTime {
    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// `2026-11-21T10:13:19.123Z`
    public static func format(millis: Int64) -> String {
        var t = time_t(millis / 1000)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        let ms = Int(millis % 1000)
        return pad(Int(tm.tm_year) + 1900, 4) + "-" + pad(Int(tm.tm_mon) + 1, 2) + "-" + pad(Int(tm.tm_mday), 2)
            + "T" + pad(Int(tm.tm_hour), 2) + ":" + pad(Int(tm.tm_min), 2) + ":" + pad(Int(tm.tm_sec), 2)
            + "." + pad(ms, 3) + "Z"
    }

    /// The run id form of a time: `YYYYMMDD_HHMMSS_mmm` (UTC).
    public static func runIDStem(millis: Int64) -> String {
        var t = time_t(millis / 1000)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        return pad(Int(tm.tm_year) + 1900, 4) + pad(Int(tm.tm_mon) + 1, 2) + pad(Int(tm.tm_mday), 2) + "_"
            + pad(Int(tm.tm_hour), 2) + pad(Int(tm.tm_min), 2) + pad(Int(tm.tm_sec), 2) + "_" + pad(Int(millis % 1000), 3)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` or a bare date `YYYY-MM-DD` (UTC) to epoch millis.
    public static func parse(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<(at + n) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            return v
        }
        guard let y = num(0, 4), b.count >= 10, b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2)
        else { return nil }
        var h = 0, mi = 0, sec = 0, ms = 0, i = 10, offset = 0
        if b.count > 10 {
            guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hh = num(11, 2), b.count > 13,
                  b[13] == 58, let mm = num(14, 2) else { return nil }
            h = hh; mi = mm; i = 16
            if i < b.count, b[i] == 58 { guard let ss = num(i + 1, 2) else { return nil }; sec = ss; i += 3 }
            if i < b.count, b[i] == 46 {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 3 { ms = ms * 10 + Int(b[i] - 48) }
                    digits += 1; i += 1
                }
                while digits < 3 { ms *= 10; digits += 1 }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") { i += 1 }
                else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), let om = num(i + 4, 2) {
                    offset = (oh * 60 + om) * (b[i] == 43 ? 1 : -1); i += 6
                } else { return nil }
            }
            guard i == b.count else { return nil }
        }
        var tm = Glibc.tm()
        tm.tm_year = Int32(y - 1900); tm.tm_mon = Int32(mo - 1); tm.tm_mday = Int32(d)
        tm.tm_hour = Int32(h); tm.tm_min = Int32(mi); tm.tm_sec = Int32(sec)
        let secs = timegm(&tm)
        return (Int64(secs) - Int64(offset) * 60) * 1000 + Int64(ms)
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        var s = String(v)
        while s.count < width { s = "0" + s }
        return s
    }
}
