import Validation

/// The deepest fall of equity below its running peak, and how long it lasted.
///
/// The running peak starts at the capital (as the validator's `pnl.max_drawdown` and the HTML report's chart
/// have it), so a first-day loss is a drawdown. Depth is a fraction of the peak, ≤ 0: -0.25 is a quarter of the
/// peak lost. A ruined run's depth is -1 exactly (everything lost), however far below zero its equity went.
///
/// Duration is in calendar days from the peak that the deepest drawdown fell from to the first day equity is
/// back at or above that peak, or to the last used day when it never is. The peak of the capital itself is dated
/// the day before the first row (the run starts there, as for CAGR). With equal depths, the first counts.
struct MaxDrawdown {
    /// ≤ 0; 0 when equity never fell below its peak.
    var depth = 0.0
    /// Calendar days; 0 without a drawdown; nil without usable dates.
    var days: Int?

    init(curve: EquityCurve, days calendar: [CivilDate]?) {
        let equity = curve.equity
        var peak = curve.capital
        var peakIndex = -1
        var worstPeakIndex = -1, worstIndex = -1
        for (i, e) in equity.enumerated() {
            if e >= peak { peak = e; peakIndex = i; continue }
            let fall = (e - peak) / peak
            if fall < depth { depth = fall; worstIndex = i; worstPeakIndex = peakIndex }
        }
        if curve.ruined { depth = -1 }
        guard let calendar else { return }
        guard worstIndex >= 0 else { days = 0; return }
        let peakValue = worstPeakIndex < 0 ? curve.capital : equity[worstPeakIndex]
        let end = equity[(worstIndex + 1)...].firstIndex { $0 >= peakValue } ?? equity.count - 1
        let start = worstPeakIndex < 0 ? calendar[0].day - 1 : calendar[worstPeakIndex].day
        days = Int(calendar[end].day - start)
    }
}
