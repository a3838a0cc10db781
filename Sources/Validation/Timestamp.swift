import Foundation

/// ISO 8601 UTC with milliseconds (`2026-11-21T10:13:19.123Z`), the project's one time format, written by hand:
/// ISO8601DateFormatter is slow to create and its fractional-seconds option differs between platforms.
enum Timestamp {
    static func iso(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        let d = CivilDate(day: Int32(days))
        let h = rem / 3_600_000, m = rem / 60_000 % 60, s = rem / 1000 % 60, f = rem % 1000
        func pad(_ v: Int64, _ w: Int) -> String {
            let t = String(v)
            return String(repeating: "0", count: max(0, w - t.count)) + t
        }
        return "\(d)T\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(f, 3))Z"
    }
}
