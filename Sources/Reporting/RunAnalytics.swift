import Validation

/// Computes a run's `RunMetrics` the same way for every run, from what the run wrote: pnl.csv (one row per
/// trading day) and, when there is one, trades.csv. Pure: reads the files, changes nothing. The conventions are
/// in docs/metrics.md and on each metric of `RunMetrics`.
public enum RunAnalytics {
    /// The metrics of a run's files. `capital` is the one the validator uses (`Capital.resolve`): equity starts
    /// there. trades.csv is streamed, so its size does not matter; a missing one leaves the trade metrics null.
    /// nil when pnl.csv is missing or has no usable row, or the capital is not a positive number.
    public static func compute(pnlCSVPath: String, tradesCSVPath: String?, capital: Double) -> RunMetrics? {
        guard let daily = DailyPnL(csvPath: pnlCSVPath) else { return nil }
        let trades = tradesCSVPath.flatMap { TradesCSV.read(path: $0, pnlDays: daily.days) }
        return compute(daily, trades: trades, capital: capital)
    }

    /// The metrics of in-memory values: `dates[i]` (`YYYY-MM-DD`) is the day of `pnl[i]`, in order. `trades`
    /// nil means there is no trades file. nil when there are no days, `dates` and `pnl` differ in length, a pnl
    /// is not finite, or the capital is not a positive number.
    public static func compute(dates: [String], pnl: [Double], trades: [TradeFigures]?, capital: Double) -> RunMetrics? {
        guard dates.count == pnl.count, pnl.allSatisfy(\.isFinite) else { return nil }
        let daily = DailyPnL(dates: dates, pnl: pnl)
        return compute(daily, trades: trades.map { TradeAnalysis(trades: $0, pnlDays: daily.days) }, capital: capital)
    }

    static func compute(_ daily: DailyPnL, trades: TradeAnalysis?, capital: Double) -> RunMetrics? {
        guard !daily.isEmpty, capital.isFinite, capital > 0 else { return nil }
        let curve = EquityCurve(capital: capital, pnl: daily.pnl)
        let risk = ReturnStatistics(returns: curve.returns)
        let drawdown = MaxDrawdown(curve: curve, days: daily.days)
        let cagr = CompoundAnnualGrowth.rate(curve: curve, days: daily.days)
        let stats = trades?.statistics
        return RunMetrics(
            totalReturn: curve.totalReturn.finiteOrNil, cagr: cagr, volatility: risk.volatility, sharpe: risk.sharpe,
            sortino: risk.sortino, maxDrawdown: drawdown.depth, maxDrawdownDays: drawdown.days,
            calmar: calmar(cagr: cagr, maxDrawdown: drawdown.depth), winRate: stats?.winRate,
            profitFactor: stats?.profitFactor, trades: stats?.trades, averageWin: stats?.averageWin,
            averageLoss: stats?.averageLoss, fees: stats?.fees, exposure: trades?.positions?.exposure,
            ruined: curve.ruined, days: daily.pnl.count, startDate: date(daily, 0), endDate: date(daily, daily.pnl.count - 1))
    }

    /// cagr / |max_drawdown|; nil without a drawdown, as empyrical's calmar_ratio.
    static func calmar(cagr: Double?, maxDrawdown: Double) -> Double? {
        guard let cagr, maxDrawdown < 0 else { return nil }
        return (cagr / -maxDrawdown).finiteOrNil
    }

    /// A row's date as `YYYY-MM-DD` when it is one (`2024-01-02 00:00:00` too), else as written; nil if empty.
    static func date(_ daily: DailyPnL, _ i: Int) -> String? {
        let text = daily.dateTexts[i]
        if let day = CivilDate.parse(text) { return day.description }
        return text.isEmpty ? nil : text
    }
}
