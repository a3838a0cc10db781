import JSON
import Reporting
import Validation

/// The analytics the server keeps in every record, the same formulas for every run (`RunAnalytics`,
/// docs/metrics.md): `metrics` from pnl.csv and trades.csv against the capital the validator uses, and
/// `summary`, the script's own summary.csv rows. Computed by the supervisor once the script has exited by
/// itself with code 0, beside validation (on another thread: it needs nothing from it), so that `list`,
/// `compare` and search never read the files again.
struct RunAnalysis: Sendable {
    /// The config's `validation.capital`: the capital rule's last resort, as in validation.
    let configuredCapital: Double

    /// The record members to add (`metrics`, `summary`); empty when the run wrote neither file.
    func members(_ record: RunRecord) -> JSONObject {
        var out = JSONObject()
        let results = record.outputDir
        let capital = Capital.resolve(params: record.params, resultsDir: results, configured: configuredCapital)
        if let m = RunAnalytics.compute(pnlCSVPath: results + "/pnl.csv", tradesCSVPath: results + "/trades.csv",
                                        capital: capital.value) {
            out["metrics"] = .object(m.json())
        }
        if let s = try? SummaryMetrics.read(path: results + "/summary.csv"), !s.isEmpty {
            out["summary"] = .object(s)
        }
        return out
    }
}
