/// Sums over trades, built one trade at a time so that a million-row trades.csv is never held in memory.
///
/// A trade wins when its pnl is > 0 and loses when it is < 0 (a trade at exactly 0 is neither, but counts in
/// `trades` and so lowers the win rate).
struct TradeStatistics {
    var trades = 0
    var wins = 0
    var losses = 0
    private var winSum = CompensatedSum()
    private var lossSum = CompensatedSum()
    /// nil when the trades have no fees column.
    private var feeSum: CompensatedSum?

    var grossWins: Double { winSum.value }
    /// ≤ 0.
    var grossLosses: Double { lossSum.value }
    /// The sum of the fees column; nil when trades.csv has none.
    var fees: Double? { feeSum?.value }

    mutating func add(pnl: Double) {
        trades += 1
        if pnl > 0 { wins += 1; winSum.add(pnl) } else if pnl < 0 { losses += 1; lossSum.add(pnl) }
    }

    /// The trades have a fees column (its sum is then 0, not nil, even when every cell is empty).
    mutating func hasFees() { if feeSum == nil { feeSum = CompensatedSum() } }

    mutating func add(fee: Double) {
        hasFees()
        feeSum!.add(fee)
    }

    /// Wins / trades; nil without trades.
    var winRate: Double? { trades > 0 ? Double(wins) / Double(trades) : nil }

    /// Gross wins / |gross losses|; nil without a loss (dividing by zero says nothing useful).
    var profitFactor: Double? { grossLosses < 0 ? (grossWins / -grossLosses).finiteOrNil : nil }

    /// The mean winning pnl; nil without a win.
    var averageWin: Double? { wins > 0 ? grossWins / Double(wins) : nil }

    /// The mean losing pnl (< 0); nil without a loss.
    var averageLoss: Double? { losses > 0 ? grossLosses / Double(losses) : nil }
}
