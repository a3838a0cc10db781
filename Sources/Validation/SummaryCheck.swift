import Base

/// The backtest profile's checks of summary.csv, a small `metric,value` table. Values are kept as text: the
/// rows have mixed types (`start_date` next to `total_pnl`), and only the metrics reconciliation needs are read
/// as numbers.
struct SummaryCheck: FileFacts, Sendable {
    static let file = "summary.csv"
    static let minSize: Int64 = 50
    static let requiredMetrics = ["total_pnl", "win_rate", "max_drawdown"]
    static let optionalMetrics = ["sharpe_ratio"]
    /// A summary is a few dozen rows; more than this is not a summary, and is not kept in memory.
    static let maxMetrics = 10_000

    var findings = FindingList(file: SummaryCheck.file)
    /// Whether the file is there, its size, and how far it was read (`FileRead`).
    var read = FileRead()
    /// metric → (value text, line); the first row of a metric wins.
    var metrics: [String: (value: String, line: Int)] = [:]

    /// A metric as a number, nil if absent or not a number.
    func number(_ name: String) -> Double? {
        guard let m = metrics[name], let d = DecimalParser.parse(m.value), !d.isNaN else { return nil }
        return d
    }

    func line(of metric: String) -> Int? { metrics[metric]?.line }

    static func run(resultsDir: String) -> SummaryCheck {
        var s = SummaryCheck()
        let path = PathText.join(resultsDir, file)
        guard s.lookAt(path, missing: (BacktestRules.summaryExists, "missing: the script wrote no summary.csv")) else { return s }
        if s.size < minSize {
            s.findings.add(BacktestRules.summaryMinSize, "is \(s.read.size) bytes; a summary has at least \(minSize)")
        }
        do {
            var csv = try CSVReader(path: path)
            guard try csv.next() else {
                s.findings.add(BacktestRules.summaryRequiredColumns, "has no header row (needs metric, value)")
                s.findings.add(BacktestRules.summaryRequiredMetrics, "has no metrics (needs \(requiredMetrics.joined(separator: ", ")))")
                s.complete = true
                return s
            }
            let header = csv.strings()
            s.columns = header
            let missing = ["metric", "value"].filter { !header.contains($0) }
            if !missing.isEmpty {
                s.findings.add(BacktestRules.summaryRequiredColumns, line: 1,
                               "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (columns: \(header.joined(separator: ", ")))")
            }
            let mc = header.firstIndex(of: "metric"), vc = header.firstIndex(of: "value")
            while try csv.next() {
                s.rows += 1
                if csv.fieldCount != header.count {
                    s.findings.add(BacktestRules.summaryValidCSV, line: csv.line,
                                   "has \(csv.fieldCount) field\(csv.fieldCount == 1 ? "" : "s"), the header has \(header.count)")
                }
                if let mc, let vc, mc < csv.fieldCount, s.metrics.count < maxMetrics {
                    let name = csv.string(mc)
                    if s.metrics[name] == nil {
                        s.metrics[name] = (vc < csv.fieldCount ? csv.string(vc) : "", csv.line)
                    }
                }
            }
            s.complete = true
        } catch {
            s.findings.add(BacktestRules.summaryValidCSV, line: error.line > 0 ? error.line : nil, "is not valid CSV: \(error.reason)")
        }
        guard s.columns?.contains("metric") == true, s.columns?.contains("value") == true else { return s }
        if s.complete {
            let missing = requiredMetrics.filter { s.metrics[$0] == nil }
            if !missing.isEmpty {
                s.findings.add(BacktestRules.summaryRequiredMetrics,
                               "missing required metric\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))")
            }
            let missingOptional = optionalMetrics.filter { s.metrics[$0] == nil }
            if !missingOptional.isEmpty {
                s.findings.add(BacktestRules.summaryOptionalMetrics, "no \(missingOptional.joined(separator: ", ")) metric (optional)")
            }
        }
        for name in requiredMetrics {
            guard let m = s.metrics[name] else { continue }
            if s.number(name) == nil {
                s.findings.add(BacktestRules.summaryNumeric, line: m.line, "\(name) \(quoteValue(m.value)) is not a number")
            }
        }
        return s
    }
}
