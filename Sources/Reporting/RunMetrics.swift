import JSON

/// A run's analytics, computed alike for every run from its pnl.csv and trades.csv by `RunAnalytics`
/// (definitions: docs/metrics.md). Fractions are fractions (0.12 is 12%), money is in the files' currency, and
/// anything undefined is nil (JSON null), never NaN or infinity.
public struct RunMetrics: Sendable, Equatable {
    /// equity_T / capital - 1 (T: the last day, or the day of ruin).
    public var totalReturn: Double?
    /// Over calendar time, 365.25 days a year, from the day before the first row; -1 for a ruined run.
    public var cagr: Double?
    /// std(r, ddof=1) × √252.
    public var volatility: Double?
    /// mean(r) / std(r, ddof=1) × √252, risk-free rate 0.
    public var sharpe: Double?
    /// mean(r) × 252 / (√mean(min(r, 0)²) × √252), over all days.
    public var sortino: Double?
    /// ≤ 0, from a running peak that starts at the capital; -1 for a ruined run.
    public var maxDrawdown: Double
    /// Calendar days from the deepest drawdown's peak to its recovery (or to the last used day).
    public var maxDrawdownDays: Int?
    /// cagr / |max_drawdown|; nil without a drawdown.
    public var calmar: Double?
    /// Trades with pnl > 0 / trades.
    public var winRate: Double?
    /// Gross wins / |gross losses|; nil without a losing trade.
    public var profitFactor: Double?
    /// Trades with a numeric pnl; nil without trades.csv (or without its pnl column).
    public var trades: Int?
    public var averageWin: Double?
    /// < 0.
    public var averageLoss: Double?
    /// The sum of trades.csv's `fees` (or `fee`, `commission`) column; nil without one.
    public var fees: Double?
    /// The fraction of pnl days with a position open, from the trades' entry and exit dates.
    public var exposure: Double?
    /// Equity reached zero or below; return metrics then stop at that day.
    public var ruined: Bool
    /// Usable rows of pnl.csv (all of them, also those after a ruin).
    public var days: Int
    /// The first and last usable row's date, as `YYYY-MM-DD` when it is one, else as written; nil when empty.
    public var startDate: String?
    public var endDate: String?

    public init(totalReturn: Double?, cagr: Double?, volatility: Double?, sharpe: Double?, sortino: Double?,
                maxDrawdown: Double, maxDrawdownDays: Int?, calmar: Double?, winRate: Double?,
                profitFactor: Double?, trades: Int?, averageWin: Double?, averageLoss: Double?, fees: Double?,
                exposure: Double?, ruined: Bool, days: Int, startDate: String?, endDate: String?) {
        self.totalReturn = totalReturn; self.cagr = cagr; self.volatility = volatility; self.sharpe = sharpe
        self.sortino = sortino; self.maxDrawdown = maxDrawdown; self.maxDrawdownDays = maxDrawdownDays
        self.calmar = calmar; self.winRate = winRate; self.profitFactor = profitFactor; self.trades = trades
        self.averageWin = averageWin; self.averageLoss = averageLoss; self.fees = fees; self.exposure = exposure
        self.ruined = ruined; self.days = days; self.startDate = startDate; self.endDate = endDate
    }

    /// The JSON object, snake_case keys in this order, every key present (null when undefined), so that clients
    /// read one shape for every run.
    public func json() -> JSONObject {
        func number(_ x: Double?) -> JSONValue { x.flatMap(\.finiteOrNil).map(JSONValue.double) ?? .null }
        func integer(_ x: Int?) -> JSONValue { x.map { .int(Int64($0)) } ?? .null }
        func text(_ x: String?) -> JSONValue { x.map(JSONValue.string) ?? .null }
        return [
            "total_return": number(totalReturn),
            "cagr": number(cagr),
            "volatility": number(volatility),
            "sharpe": number(sharpe),
            "sortino": number(sortino),
            "max_drawdown": number(maxDrawdown),
            "max_drawdown_days": integer(maxDrawdownDays),
            "calmar": number(calmar),
            "win_rate": number(winRate),
            "profit_factor": number(profitFactor),
            "trades": integer(trades),
            "avg_win": number(averageWin),
            "avg_loss": number(averageLoss),
            "fees": number(fees),
            "exposure": number(exposure),
            "ruined": .bool(ruined),
            "days": .int(Int64(days)),
            "start_date": text(startDate),
            "end_date": text(endDate),
        ]
    }
}
