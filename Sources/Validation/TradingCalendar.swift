/// Which days an exchange trades, so that pnl.csv can be checked for missing days without flagging the days the
/// market was closed. `weekdays` is Monday–Friday minus an optional holiday list (the fixtures' convention, and a
/// fair default for a market we know nothing about); `XNYS` applies the New York Stock Exchange's rules.
public struct TradingCalendar: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case weekdays
        case xnys = "XNYS"
    }

    public let kind: Kind
    /// Extra closures on top of the kind's own rules (from the config's `holidays`).
    public let extraHolidays: Set<CivilDate>

    public init(kind: Kind = .weekdays, holidays: Set<CivilDate> = []) {
        self.kind = kind
        self.extraHolidays = holidays
    }

    public static let weekdays = TradingCalendar(kind: .weekdays)
    public static let xnys = TradingCalendar(kind: .xnys)

    /// The calendar's name as written in the config and in messages.
    public var name: String { kind.rawValue }

    public func isTradingDay(_ date: CivilDate) -> Bool {
        if date.isWeekend || extraHolidays.contains(date) { return false }
        switch kind {
        case .weekdays: return true
        case .xnys: return NYSEHolidays.holidayName(date) == nil
        }
    }

    /// Why the market is closed on a weekday (for messages), nil if it is open or the day is a weekend.
    public func closureReason(_ date: CivilDate) -> String? {
        if date.isWeekend { return nil }
        if extraHolidays.contains(date) { return "a configured holiday" }
        if kind == .xnys { return NYSEHolidays.holidayName(date) }
        return nil
    }

    /// The trading days strictly between two dates, in order (at most `limit` of them, so that a file with a
    /// ten-year hole does not produce thousands of findings).
    public func tradingDays(after a: CivilDate, before b: CivilDate, limit: Int = .max) -> [CivilDate] {
        var out: [CivilDate] = []
        var d = a.adding(days: 1)
        while d < b && out.count < limit {
            if isTradingDay(d) { out.append(d) }
            d = d.adding(days: 1)
        }
        return out
    }

    /// The number of trading days strictly between two dates.
    public func countTradingDays(after a: CivilDate, before b: CivilDate) -> Int {
        var n = 0
        var d = a.adding(days: 1)
        while d < b {
            if isTradingDay(d) { n += 1 }
            d = d.adding(days: 1)
        }
        return n
    }
}
