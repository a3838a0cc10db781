import Glibc

/// ISO 8601 UTC with milliseconds (`2026-11-21T10:13:19.123Z`), the project's time format, without
/// Foundation's formatters (not cheap to create, and not Sendable).
public enum ISOTimestamp {
    /// The current time.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: Int(ts.tv_sec), milliseconds: Int(ts.tv_nsec / 1_000_000))
    }

    /// Formats a time given as seconds since the epoch (fractions become milliseconds).
    public static func format(epochSeconds: Double) -> String {
        let whole = epochSeconds.rounded(.down)
        return format(seconds: Int(whole), milliseconds: min(999, Int(((epochSeconds - whole) * 1000).rounded())))
    }

    static func format(seconds: Int, milliseconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
