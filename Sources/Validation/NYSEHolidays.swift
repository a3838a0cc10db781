/// The New York Stock Exchange's full-day closures, computed from its rules rather than listed, so that any year
/// works. Rules (NYSE Rule 7.2 and its history):
/// - New Year's Day, Jan 1; on a Sunday observed Monday Jan 2; on a Saturday **not** observed (the exchange does
///   not close on Friday Dec 31, which would fall in the old year's accounting period).
/// - Martin Luther King Jr. Day, third Monday of January (from 1998).
/// - Washington's Birthday (Presidents' Day), third Monday of February.
/// - Good Friday, two days before Easter Sunday (Gregorian computus).
/// - Memorial Day, last Monday of May.
/// - Juneteenth, June 19 (from 2022), Independence Day, July 4, Christmas, Dec 25: Saturday → the Friday before,
///   Sunday → the Monday after.
/// - Labor Day, first Monday of September; Thanksgiving, fourth Thursday of November.
/// - Special closures since 1990 (national days of mourning, September 11, Hurricane Sandy) from a table.
///
/// Checked against an independent exchange calendar (exchange_calendars' XNYS) over 1990–2030, every weekday:
/// Tests/ValidationTests/TradingCalendarTests.swift.
enum NYSEHolidays {
    /// One-off closures: (year, month, day, reason).
    static let special: [(Int, Int, Int, String)] = [
        (1994, 4, 27, "National Day of Mourning for Richard Nixon"),
        (2001, 9, 11, "September 11 attacks"), (2001, 9, 12, "September 11 attacks"),
        (2001, 9, 13, "September 11 attacks"), (2001, 9, 14, "September 11 attacks"),
        (2004, 6, 11, "National Day of Mourning for Ronald Reagan"),
        (2007, 1, 2, "National Day of Mourning for Gerald Ford"),
        (2012, 10, 29, "Hurricane Sandy"), (2012, 10, 30, "Hurricane Sandy"),
        (2018, 12, 5, "National Day of Mourning for George H. W. Bush"),
        (2025, 1, 9, "National Day of Mourning for Jimmy Carter"),
    ]

    /// The holiday's name if the exchange is closed on this weekday, else nil.
    static func holidayName(_ date: CivilDate) -> String? {
        let (y, m, d) = date.components
        let w = date.weekday
        switch m {
        case 1:
            if d == 1 || (d == 2 && w == 1) { return "New Year's Day" }
            if y >= 1998 && w == 1 && (15...21).contains(d) { return "Martin Luther King Jr. Day" }
        case 2:
            if w == 1 && (15...21).contains(d) { return "Washington's Birthday" }
        case 5:
            if w == 1 && d >= 25 { return "Memorial Day" }
        case 6:
            if y >= 2022 && isObserved(month: 6, day: 19, m: m, d: d, weekday: w) { return "Juneteenth" }
        case 7:
            if isObserved(month: 7, day: 4, m: m, d: d, weekday: w) { return "Independence Day" }
        case 9:
            if w == 1 && d <= 7 { return "Labor Day" }
        case 11:
            if w == 4 && (22...28).contains(d) { return "Thanksgiving Day" }
        case 12:
            if isObserved(month: 12, day: 25, m: m, d: d, weekday: w) { return "Christmas Day" }
        default: break
        }
        if m == 3 || m == 4, date == goodFriday(year: y) { return "Good Friday" }
        for s in special where s.0 == y && s.1 == m && s.2 == d { return s.3 }
        return nil
    }

    /// True if (m, d) on `weekday` is the observed day of a fixed-date holiday on (month, day): the day itself,
    /// the Friday before when it falls on a Saturday, or the Monday after when it falls on a Sunday.
    static func isObserved(month: Int, day: Int, m: Int, d: Int, weekday w: Int) -> Bool {
        guard m == month else { return false }
        return d == day || (d == day - 1 && w == 5) || (d == day + 1 && w == 1)
    }

    /// Easter Sunday minus two days (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher").
    static func goodFriday(year y: Int) -> CivilDate {
        let a = y % 19, b = y / 100, c = y % 100
        let d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(year: y, month: month, day: day)!.adding(days: -2)
    }
}
