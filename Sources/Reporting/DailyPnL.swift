import Base
import Validation

/// A run's daily profit and loss, one entry per usable row of pnl.csv (`date,pnl,cumulative_pnl`), in file order.
///
/// A row is usable when its pnl is a finite number. Without a `pnl` column, pnl is the day-to-day difference of
/// `cumulative_pnl` (the first day's pnl is its cumulative value). Rows that are not usable are left out: the
/// validator reports them, and analytics should still say what it can about the rest.
struct DailyPnL {
    /// The dates as written (`2024-01-02`), "" where the row has no date.
    var dateTexts: [String] = []
    /// The dates as calendar days; nil unless every usable row's date is `YYYY-MM-DD` and they strictly increase
    /// (then no metric that needs calendar time is computed, rather than one computed from a guess).
    var days: [CivilDate]?
    var pnl: [Double] = []

    var isEmpty: Bool { pnl.isEmpty }

    init(dates: [String], pnl: [Double]) {
        dateTexts = dates
        self.pnl = pnl
        var parsed: [CivilDate] = []
        parsed.reserveCapacity(dates.count)
        for text in dates {
            guard let day = CivilDate.parse(text), parsed.last.map({ $0 < day }) ?? true else { return }
            parsed.append(day)
        }
        days = parsed
    }

    /// Reads pnl.csv; nil when the file cannot be opened or lacks both `pnl` and `cumulative_pnl`. Rows before a
    /// CSV defect (an unterminated quote) are kept: the validator reports the defect.
    init?(csvPath path: String) {
        guard var csv = try? CSVReader(path: path), (try? csv.next()) == true else { return nil }
        let names = csv.columnNames()
        let dateColumn = names.firstIndex(of: "date")
        let pnlColumn = names.firstIndex(of: "pnl")
        let cumulativeColumn = names.firstIndex(of: "cumulative_pnl")
        guard pnlColumn != nil || cumulativeColumn != nil else { return nil }
        var dates: [String] = []
        var values: [Double] = []
        var previousCumulative = 0.0
        while (try? csv.next()) == true {
            let value: Double
            if let p = pnlColumn {
                guard let v = csv.finiteNumber(p) else { continue }
                value = v
            } else {
                guard let c = csv.finiteNumber(cumulativeColumn!) else { continue }
                value = c - previousCumulative
                previousCumulative = c
            }
            values.append(value)
            dates.append(dateColumn.map { $0 < csv.fieldCount ? csv.string($0).trimmingSpaces() : "" } ?? "")
        }
        self.init(dates: dates, pnl: values)
    }
}
