/// The risk-adjusted figures of a series of daily returns, annualised with 252 trading days a year and a risk-free
/// rate of 0, with empyrical's definitions (checked against empyrical-reloaded in AnalyticsReferenceTests):
///
/// - volatility = std(r, ddof=1) × √252
/// - sharpe = mean(r) / std(r, ddof=1) × √252
/// - sortino = mean(r) × 252 / (√mean(min(r, 0)²) × √252): the downside deviation is taken over all days,
///   a day without a loss counting as 0 (not over the losing days only).
///
/// Each is nil where it is undefined: fewer than two returns, a deviation of zero (every return equal, or no
/// losing day for sortino), or a result that is not finite.
struct ReturnStatistics {
    static let tradingDaysPerYear = 252.0

    var volatility: Double?
    var sharpe: Double?
    var sortino: Double?

    init(returns r: [Double]) {
        guard r.count >= 2 else { return }
        let n = Double(r.count)
        let mean = r.reduce(0, +) / n
        let std = Self.sampleDeviation(r, mean: mean)
        let downside = (r.reduce(0) { $0 + min($1, 0) * min($1, 0) } / n).squareRoot()
        let annual = Self.tradingDaysPerYear
        volatility = (std * annual.squareRoot()).finiteOrNil
        if std > 0 { sharpe = (mean / std * annual.squareRoot()).finiteOrNil }
        if downside > 0 { sortino = (mean * annual / (downside * annual.squareRoot())).finiteOrNil }
    }

    /// std with ddof = 1, two-pass like numpy. Exactly 0 when every value is equal: the floating-point mean of
    /// equal values can differ from them in the last bit, and dividing by that residue (about 1e-18) would turn
    /// an undefined ratio into a huge finite one (empyrical guards the same way).
    static func sampleDeviation(_ r: [Double], mean: Double) -> Double {
        guard let lo = r.min(), let hi = r.max(), lo != hi else { return 0 }
        let squares = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Double(r.count - 1)).squareRoot()
    }
}

