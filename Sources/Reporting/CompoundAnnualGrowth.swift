#if canImport(Glibc)
import Glibc
#endif
import Validation

/// CAGR over calendar time: `(equity_T / capital)^(365.25 / calendar_days) - 1`, where calendar_days runs from
/// the day before the first row (the run starts with the capital at the close before its first trading day) to
/// the last used day, so that a single day is one day, not zero.
///
/// Calendar time, not empyrical's trading-day count (`annual_return` takes `len(returns) / 252` years): a run
/// with missing days or on a non-NYSE calendar still gets its true span. nil without usable dates or when the
/// result is not finite; -1 for a ruined run (the capital is gone, and a negative base has no real power).
enum CompoundAnnualGrowth {
    static let daysPerYear = 365.25

    static func rate(curve: EquityCurve, days calendar: [CivilDate]?) -> Double? {
        if curve.ruined { return -1 }
        guard let calendar, let first = calendar.first else { return nil }
        let span = Double(calendar[curve.count - 1].day - first.day + 1)
        return (pow(curve.final / curve.capital, daysPerYear / span) - 1).finiteOrNil
    }
}
