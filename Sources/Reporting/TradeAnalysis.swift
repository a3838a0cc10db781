import Validation

/// What analytics learns from a run's trades, fed one trade at a time: the sums (`TradeStatistics`) and the days
/// with a position open (`PositionDays`, for exposure).
struct TradeAnalysis {
    /// nil when the trades have no pnl (a trades.csv without that column).
    var statistics: TradeStatistics?
    /// nil without usable pnl dates.
    var positions: PositionDays?

    init(pnlDays: [CivilDate]?, hasPnL: Bool = true) {
        statistics = hasPnL ? TradeStatistics() : nil
        positions = PositionDays(days: pnlDays)
    }

    /// The in-memory form (tests, callers that have trades already).
    init(trades: [TradeFigures], pnlDays: [CivilDate]?) {
        self.init(pnlDays: pnlDays)
        for t in trades {
            statistics?.add(pnl: t.pnl)
            if let fee = t.fees { statistics?.add(fee: fee) }
            positions?.add(entry: t.entryTime.flatMap(CivilDate.parse), exit: t.exitTime.flatMap(CivilDate.parse))
        }
    }
}
