/// Equity day by day, `equity_t = equity_{t-1} + pnl_t` from `equity_0 = capital`, and the daily returns
/// `r_t = pnl_t / equity_{t-1}`.
///
/// Once equity reaches zero or below the run is ruined: a return on no (or negative) capital means nothing, so
/// the curve ends on that day (`count` days are used) and every metric computed from it sees only those days.
struct EquityCurve {
    let capital: Double
    /// Equity at the end of each used day.
    private(set) var equity: [Double] = []
    /// The daily returns of the used days.
    private(set) var returns: [Double] = []
    /// True when equity reached zero or below; the last used day is that day.
    private(set) var ruined = false

    init(capital: Double, pnl: [Double]) {
        self.capital = capital
        equity.reserveCapacity(pnl.count)
        returns.reserveCapacity(pnl.count)
        var previous = capital
        for value in pnl {
            let now = previous + value
            equity.append(now)
            returns.append(value / previous)
            if now <= 0 { ruined = true; break }
            previous = now
        }
    }

    /// Days used: all of them, or up to and including the day of ruin.
    var count: Int { equity.count }

    /// Equity at the end of the last used day.
    var final: Double { equity.last ?? capital }

    /// `final / capital - 1`. For a ruined run it is the loss on the day of ruin, which can exceed the capital.
    var totalReturn: Double { final / capital - 1 }
}
