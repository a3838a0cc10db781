/// The rules of the built-in `backtest` profile: stable ids (the keys of `validation.severity`) and their
/// default severities. Critical checks are errors; custom limits, metadata, the log and reconciliation warn.
enum BacktestRules {
    static let tradesExists = "trades.exists"
    static let tradesMinSize = "trades.min_size"
    static let tradesValidCSV = "trades.valid_csv"
    static let tradesRequiredColumns = "trades.required_columns"
    static let tradesMinRows = "trades.min_rows"
    static let tradesNotNull = "trades.not_null"
    static let tradesNumeric = "trades.numeric"
    static let tradesOptionalColumns = "trades.optional_columns"
    static let tradesMaxLoss = "trades.max_loss_per_trade"
    static let tradesMinTrades = "trades.min_trades"

    static let summaryExists = "summary.exists"
    static let summaryMinSize = "summary.min_size"
    static let summaryValidCSV = "summary.valid_csv"
    static let summaryRequiredColumns = "summary.required_columns"
    static let summaryRequiredMetrics = "summary.required_metrics"
    static let summaryNumeric = "summary.numeric"
    static let summaryOptionalMetrics = "summary.optional_metrics"

    static let pnlExists = "pnl.exists"
    static let pnlMinSize = "pnl.min_size"
    static let pnlValidCSV = "pnl.valid_csv"
    static let pnlRequiredColumns = "pnl.required_columns"
    static let pnlMinRows = "pnl.min_rows"
    static let pnlNotNull = "pnl.not_null"
    static let pnlNumeric = "pnl.numeric"
    static let pnlLastCumulative = "pnl.last_cumulative"
    static let pnlDateFormat = "pnl.date_format"
    static let pnlDatesIncreasing = "pnl.dates_increasing"
    static let pnlMissingDays = "pnl.missing_days"
    static let pnlNonTradingDay = "pnl.non_trading_day"
    static let pnlMaxDrawdown = "pnl.max_drawdown"

    static let metadataExists = "metadata.exists"
    static let metadataValidJSON = "metadata.valid_json"
    static let metadataRequiredKeys = "metadata.required_keys"

    static let reconcileTotalPnL = "reconcile.total_pnl"
    static let reconcileCumulative = "reconcile.cumulative"
    static let reconcileTotalTrades = "reconcile.total_trades"
    static let reconcileWinRate = "reconcile.win_rate"

    /// Every rule with its default severity, in the order they are documented.
    static let all: [(id: String, severity: Severity)] = [
        (tradesExists, .error), (tradesMinSize, .error), (tradesValidCSV, .error), (tradesRequiredColumns, .error),
        (tradesMinRows, .error), (tradesNotNull, .error), (tradesNumeric, .error),
        (tradesOptionalColumns, .warning), (tradesMaxLoss, .warning), (tradesMinTrades, .warning),
        (summaryExists, .error), (summaryMinSize, .error), (summaryValidCSV, .error),
        (summaryRequiredColumns, .error), (summaryRequiredMetrics, .error), (summaryNumeric, .error),
        (summaryOptionalMetrics, .warning),
        (pnlExists, .error), (pnlMinSize, .error), (pnlValidCSV, .error), (pnlRequiredColumns, .error),
        (pnlMinRows, .error), (pnlNotNull, .error), (pnlNumeric, .error), (pnlLastCumulative, .error),
        (pnlDateFormat, .error), (pnlDatesIncreasing, .error), (pnlMissingDays, .error),
        (pnlNonTradingDay, .warning), (pnlMaxDrawdown, .warning),
        (metadataExists, .warning), (metadataValidJSON, .warning), (metadataRequiredKeys, .warning),
        (LogRules.exists, .warning), (LogRules.empty, .warning), (LogRules.critical, .warning),
        (reconcileTotalPnL, .warning), (reconcileCumulative, .warning), (reconcileTotalTrades, .warning),
        (reconcileWinRate, .warning),
    ]

    static let defaults: [String: Severity] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0.severity) })

    /// The rules whose finding means a file cannot be trusted for cross-file checks (its error-level rules).
    static let critical: Set<String> = Set(all.filter { $0.severity == .error }.map(\.id))
}

/// Rules about the run's `execution.log`, shared by every profile.
enum LogRules {
    static let exists = "log.exists"
    static let empty = "log.empty"
    static let critical = "log.critical"
}
