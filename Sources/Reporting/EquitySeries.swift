import Base
import Provenance

/// The equity curve and drawdown of a run, from its pnl.csv (`date,pnl,cumulative_pnl`).
///
/// Equity is `capital + cumulative_pnl`; drawdown is equity below its running peak, where the peak starts
/// at the capital (the same definition the validator and the fixtures use for `max_drawdown`).
struct EquitySeries {
    var dates: [String] = []
    var equity: [Double] = []
    /// Drawdown in money (≤ 0) per day.
    var drawdown: [Double] = []
    /// Drawdown as a percentage of the running peak (≤ 0) per day.
    var drawdownPercent: [Double] = []
    var capital: Double
    /// Days whose cumulative_pnl could not be read (an empty last row): left out of the charts.
    var skippedRows = 0

    /// Reads pnl.csv; throws `missingFile` when it does not exist and `invalidContent` when it lacks the
    /// columns or any usable row.
    init(pnlCSVPath path: String, capital: Double) throws {
        self.capital = capital
        let rows = CSVText.rows(try FileSystem.readFile(path, limit: 512 << 20))
        guard let header = rows.first else { throw ProvenanceError.invalidContent(path: path, reason: "empty file") }
        let names = header.map { $0.trimmingSpaces().lowercased() }
        guard let dateColumn = names.firstIndex(of: "date"), let cumulativeColumn = names.firstIndex(of: "cumulative_pnl") else {
            throw ProvenanceError.invalidContent(path: path, reason: "needs the columns date and cumulative_pnl")
        }
        var peak = capital
        for row in rows.dropFirst() {
            guard row.count > max(dateColumn, cumulativeColumn),
                  let cumulative = Double(row[cumulativeColumn].trimmingSpaces()), cumulative.isFinite else {
                skippedRows += 1
                continue
            }
            let value = capital + cumulative
            peak = max(peak, value)
            dates.append(row[dateColumn])
            equity.append(value)
            drawdown.append(value - peak)
            drawdownPercent.append(peak > 0 ? (value - peak) / peak * 100 : 0)
        }
        if equity.isEmpty { throw ProvenanceError.invalidContent(path: path, reason: "no rows with a cumulative_pnl") }
    }
}
