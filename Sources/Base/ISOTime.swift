import Glibc

/// The project's one time format: ISO 8601 UTC with milliseconds (`2026-11-21T10:13:19.123Z`), for records,
/// log lines, metadata, validation reports and file listings, and wall-clock time as epoch milliseconds.
///
/// Formatted by hand, straight into bytes: DateFormatter costs microseconds per call, is not Sendable, and
/// every log line of a notification carries a time, so `append(millis:to:)` allocates nothing.
public enum ISOTime {
    /// Wall-clock time now, in milliseconds since the epoch.
    public static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The current time as text.
    public static func now() -> String { format(millis: nowMillis()) }

    /// `2026-11-21T10:13:19.123Z`
    public static func format(millis: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(millis: millis, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A time given as seconds since the epoch (a file's mtime, a `Date`), cut down to the millisecond.
    public static func format(epochSeconds: Double) -> String {
        format(millis: Int64((epochSeconds * 1000).rounded(.down)))
    }

    /// Writes `format(millis:)`'s text into `out` without building a String: for the hot path (every line
    /// of a log notification). Inlinable, so that it costs no call across modules either.
    @inlinable
    public static func append(millis: Int64, to out: inout [UInt8]) {
        // Floor division, so that a time before 1970 still has a millisecond part in 0...999.
        let ms = Int(((millis % 1000) + 1000) % 1000)
        let secs = (millis - Int64(ms)) / 1000
        var days = Int(secs / 86400)
        var rem = Int(secs - Int64(days) * 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civil(days: days)
        put(y, 4, &out); out.append(45); put(m, 2, &out); out.append(45); put(d, 2, &out); out.append(84)
        put(rem / 3600, 2, &out); out.append(58); put((rem / 60) % 60, 2, &out); out.append(58); put(rem % 60, 2, &out)
        out.append(46); put(ms, 3, &out); out.append(90)
    }

    /// The run id form of a time: `YYYYMMDD_HHMMSS_mmm` (UTC).
    public static func runIDStem(millis: Int64) -> String {
        let text = format(millis: millis).utf8
        // Drop `-`, `:`, the `Z`, and turn `T` and `.` into `_`.
        var out: [UInt8] = []
        out.reserveCapacity(19)
        for b in text where b != 45 && b != 58 && b != 90 { out.append(b == 84 || b == 46 ? 95 : b) }
        return String(decoding: out, as: UTF8.self)
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

    /// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): no tables, no gmtime.
    @inlinable
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// `v` in decimal, zero-padded to at least `width` digits (a year past 9999 keeps all its digits).
    @inlinable @inline(__always)
    static func put(_ v: Int, _ width: Int, _ out: inout [UInt8]) {
        var div = 1
        for _ in 1..<width { div *= 10 }
        while v / div >= 10 { div *= 10 }
        var v = v
        while div > 0 { out.append(UInt8(48 + (v / div) % 10)); v %= div; div /= 10 }
    }
}
