/// A calendar date as a count of days since 1970-01-01 (proleptic Gregorian), so that "the next day" is `+ 1`
/// and date ranges are integer ranges. Conversion uses Howard Hinnant's civil-from-days algorithms, which are
/// exact for any year we will meet and need no Foundation calendar (slow, and locale-dependent).
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let day: Int32

    public init(day: Int32) { self.day = day }

    /// The date for a year, month (1–12) and day of month (1–31); nil if the combination does not exist.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.day = Int32(CivilDate.daysFromCivil(year, month, day))
    }

    /// Year, month and day of month.
    public var components: (year: Int, month: Int, day: Int) { CivilDate.civilFromDays(Int(day)) }

    /// 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    public var weekday: Int {
        let w = (Int(day) + 4) % 7
        return w < 0 ? w + 7 : w
    }

    public var isWeekend: Bool { let w = weekday; return w == 0 || w == 6 }

    public func adding(days n: Int) -> CivilDate { CivilDate(day: day + Int32(n)) }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.day < b.day }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Parses `YYYY-MM-DD` from a string (a time part after `T` or a space is ignored).
    public static func parse(_ text: String) -> CivilDate? {
        var t = text
        return t.withUTF8 { parse(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
    }

    /// Parses `YYYY-MM-DD` at the start of raw bytes, the hot path of pnl.csv. The date may be followed by
    /// nothing, or by `T`/space and a time (pandas writes `2020-01-01 00:00:00` for datetime columns).
    /// Package-visible for Reporting, which reads trades' entry and exit days from the same bytes.
    package static func parse(_ b: UnsafeBufferPointer<UInt8>) -> CivilDate? {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        if b.count > 10, b[10] != UInt8(ascii: "T"), b[10] != UInt8(ascii: " ") { return nil }
        @inline(__always) func digits(_ from: Int, _ n: Int) -> Int? {
            var v = 0
            for k in from..<(from + n) {
                let c = b[k] &- 48
                if c > 9 { return nil }
                v = v * 10 + Int(c)
            }
            return v
        }
        guard let y = digits(0, 4), let m = digits(5, 2), let d = digits(8, 2) else { return nil }
        return CivilDate(year: y, month: m, day: d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
