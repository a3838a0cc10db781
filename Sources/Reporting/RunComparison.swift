import Base
import JSON
import Provenance

/// Puts runs side by side: the analytics table users used to build by hand from each run's summary.csv.
///
/// Columns, in order: `run_id`, `status`, `script`, then one `param.<name>` per parameter (union over the
/// runs, first-seen order), then one `package.<name>` column per installed package whose version differs
/// between the runs, then one `metrics.<name>` per analytic the server computed (the record's `metrics`, the
/// same formulas for every run: docs/metrics.md), then one `summary.<name>` per row of the scripts' own
/// summary.csv (union, first-seen order). Every group has its prefix, so that a parameter, a server metric
/// and a script's metric of the same name (`capital`, `sharpe`) never collide. A run without a value in a
/// column has `null` there (an empty CSV cell).
public enum RunComparison {
    /// The fixed leading columns.
    public static let fixedColumns = ["run_id", "status", "script"]

    /// - Parameters:
    ///   - runs: each run's record (run.json) and the path of its summary.csv (nil or missing: no metrics).
    ///   - packages: each run's installed packages (its metadata's `packages`), in the order of `runs`; nil
    ///     for a run that recorded none (not Python, or older than this field). A `package.<name>` column,
    ///     after the params, is shown only for a package whose version differs between the runs that
    ///     recorded packages (absent in one of them counts as different; its cell is null). Sorted by name.
    public static func table(runs: [(record: JSONObject, summaryCSVPath: String?)], packages: [[String: String]?] = [])
        -> (columns: [String], rows: [JSONObject], csv: String) {
        let recorded = packages.compactMap { $0 }
        var packageColumns: [String] = []
        if recorded.count > 1 {
            let names = Set(recorded.flatMap(\.keys))
            packageColumns = names.filter { name in Set(recorded.map { $0[name] }).count > 1 }
                .sorted { ($0.lowercased(), $0) < ($1.lowercased(), $1) }.map { "package." + $0 }
        }
        var paramColumns: [String] = []
        var metricColumns: [String] = []
        var seenParams: Set<String> = []
        var seenMetrics: Set<String> = []
        var serverMetricColumns: [String] = []
        var seenServerMetrics: Set<String> = []
        var partial: [(fixed: [JSONValue], params: [String: JSONValue], metrics: [String: (value: JSONValue, text: String)])] = []

        for (record, summaryPath) in runs {
            let fixed = fixedColumns.map { record[$0] ?? .null }
            var params: [String: JSONValue] = [:]
            if case .object(let p)? = record["params"] {
                for (name, value) in p {
                    let column = "param." + name
                    if seenParams.insert(column).inserted { paramColumns.append(column) }
                    params[column] = value
                }
            }
            var metrics: [String: (value: JSONValue, text: String)] = [:]
            if case .object(let m)? = record["metrics"] {
                for (name, value) in m {
                    let column = "metrics." + name
                    if seenServerMetrics.insert(column).inserted { serverMetricColumns.append(column) }
                    metrics[column] = (value, value.isNull ? "" : JSONWriter.string(value))
                }
            }
            if let summaryPath, let bytes = try? FileSystem.readFile(summaryPath, limit: 16 << 20) {
                for (name, text) in SummaryMetrics.texts(bytes) {
                    let column = "summary." + name
                    if seenMetrics.insert(column).inserted { metricColumns.append(column) }
                    metrics[column] = (SummaryMetrics.value(text), text)
                }
            }
            partial.append((fixed, params, metrics))
        }

        metricColumns = serverMetricColumns + metricColumns
        let columns = fixedColumns + paramColumns + packageColumns + metricColumns
        var rows: [JSONObject] = []
        var csv = CSVText.line(columns)
        for (i, run) in partial.enumerated() {
            var row = JSONObject()
            var cells: [String] = []
            for (k, name) in fixedColumns.enumerated() {
                row.appendUnchecked(name, run.fixed[k])
                cells.append(cell(run.fixed[k]))
            }
            for name in paramColumns {
                let v = run.params[name] ?? .null
                row.appendUnchecked(name, v)
                cells.append(cell(v))
            }
            for name in packageColumns {
                let v = (i < packages.count ? packages[i] : nil)?[String(name.dropFirst("package.".count))]
                row.appendUnchecked(name, .from(v))
                cells.append(v ?? "")
            }
            for name in metricColumns {
                row.appendUnchecked(name, run.metrics[name]?.value ?? .null)
                cells.append(run.metrics[name]?.text ?? "")
            }
            csv += CSVText.line(cells)
            rows.append(row)
        }
        return (columns, rows, csv)
    }

    /// A JSON value as CSV cell text: strings as they are, numbers as the client wrote them (`1e6`), booleans
    /// as JSON writes them, null as empty, arrays and objects as compact JSON. Metric cells keep summary.csv's
    /// own text instead.
    static func cell(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .string(let s): return s
        default: return JSONWriter.string(v, numbersAsWritten: true)
        }
    }
}
