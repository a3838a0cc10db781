/// One trade as analytics sees it: a row of trades.csv, for callers (tests) that have trades in memory.
public struct TradeFigures: Sendable, Equatable {
    public var pnl: Double
    /// The trade's fees as written (any sign); nil when there is no fees column.
    public var fees: Double?
    /// When the position was opened and closed: text that starts with `YYYY-MM-DD` (a time may follow after
    /// `T` or a space; only the date counts). nil or anything else makes exposure undefined.
    public var entryTime: String?
    public var exitTime: String?

    public init(pnl: Double, fees: Double? = nil, entryTime: String? = nil, exitTime: String? = nil) {
        self.pnl = pnl; self.fees = fees; self.entryTime = entryTime; self.exitTime = exitTime
    }
}
