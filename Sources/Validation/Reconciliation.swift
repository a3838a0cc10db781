/// Cross-checks between the three CSVs that no single-file check can make: the same total three ways (sum of
/// trades.csv pnl, summary total_pnl, the last cumulative_pnl), cumulative_pnl as the running sum of pnl,
/// total_trades against the rows, win_rate against the trades.
///
/// A file that failed any of its own error-level checks is left out: its error is the finding, and comparing
/// figures from a file with a missing day or a swallowed half would only repeat it in other words. So each
/// defect of the fixture generator gives its one finding, and reconciliation speaks only about files that are
/// each fine on their own but do not agree with each other.
enum Reconciliation {
    static func run(trades: TradesCheck, summary: SummaryCheck, pnl: PnLCheck,
                    tolerance: ValidationConfig.Tolerance) -> [Finding] {
        let critical = BacktestRules.critical
        let tradesSound = trades.exists && trades.complete && !trades.cancelled && !trades.findings.hasAny(of: critical)
        let summarySound = summary.exists && summary.complete && !summary.findings.hasAny(of: critical)
        let pnlSound = pnl.exists && pnl.complete && !pnl.cancelled && !pnl.findings.hasAny(of: critical)
        var out: [Finding] = []

        // One total, three ways.
        var terms: [(label: String, value: Double)] = []
        if tradesSound && trades.hasPnLColumn { terms.append(("trades.csv pnl sums to", trades.pnlSum)) }
        if summarySound, let t = summary.number("total_pnl") { terms.append(("summary.csv total_pnl is", t)) }
        if pnlSound, let c = pnl.lastCumulative {
            terms.append(("pnl.csv last cumulative_pnl\(pnl.lastLine.map { " (line \($0))" } ?? "") is", c))
        }
        var agree = true
        for i in terms.indices {
            for j in terms.indices where j > i && !tolerance.agree(terms[i].value, terms[j].value) { agree = false }
        }
        if !agree {
            let parts = terms.map { "\($0.label) \(formatAmount($0.value))" }.joined(separator: ", ")
            let inSummary = summarySound && summary.number("total_pnl") != nil
            out.append(Finding(rule: BacktestRules.reconcileTotalPnL, file: inSummary ? SummaryCheck.file : PnLCheck.file,
                               line: inSummary ? summary.line(of: "total_pnl") : pnl.lastLine,
                               text: "total_pnl does not reconcile: \(parts) (\(tolerance.description))"))
        }

        // cumulative_pnl is the running sum of pnl.
        if pnlSound { out += pnl.runningSumFindings.finished() }

        // total_trades is the number of rows.
        if tradesSound && summarySound, let t = summary.number("total_trades") {
            if t != Double(trades.rows) {
                out.append(Finding(rule: BacktestRules.reconcileTotalTrades, file: SummaryCheck.file,
                                   line: summary.line(of: "total_trades"),
                                   text: "total_trades is \(summary.metrics["total_trades"]!.value) but trades.csv has \(trades.rows) row\(trades.rows == 1 ? "" : "s")"))
            }
        }

        // win_rate: the share of trades with pnl > 0, as a percentage (or a fraction, if written as one).
        if tradesSound && summarySound && trades.hasPnLColumn && trades.rows > 0,
           let w = summary.number("win_rate"), let text = summary.metrics["win_rate"]?.value {
            let computed = 100 * Double(trades.wins) / Double(trades.rows)
            // The written value is rounded to its own decimals: allow half of its last digit on top of the tolerance.
            let decimals = text.split(separator: ".").dropFirst().first.map { $0.prefix { $0.isNumber }.count } ?? 0
            var halfUnit = 0.5
            for _ in 0..<decimals { halfUnit /= 10 }
            let asPercent = abs(w - computed) <= halfUnit + tolerance.absolute + 1e-9
            let asFraction = w <= 1 && abs(w * 100 - computed) <= halfUnit * 100 + tolerance.absolute + 1e-9
            if !asPercent && !asFraction {
                out.append(Finding(rule: BacktestRules.reconcileWinRate, file: SummaryCheck.file,
                                   line: summary.line(of: "win_rate"),
                                   text: "win_rate is \(text) but \(trades.wins) of trades.csv's \(trades.rows) trades have pnl > 0, \(formatFixed(computed, decimals: 2))% (tolerance \(formatAmount(tolerance.absolute)) points beyond the written rounding)"))
            }
        }
        return out
    }
}
