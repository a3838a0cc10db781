import Validation

/// Which of the pnl.csv days had a position open: a trade is open on every calendar day from its entry date to
/// its exit date, both included (a trade opened and closed the same day counts for that day). Times of day and
/// time zones are not looked at, only the date each timestamp starts with.
///
/// Built one trade at a time into a difference array over the pnl days' span (+1 at entry, -1 after exit), so a
/// million trades cost one pass and a few kilobytes. Exposure is undefined (nil) as soon as one trade's entry or
/// exit is not a date, or exits before it enters: a figure from the trades that happen to parse would look right
/// and be wrong.
struct PositionDays {
    private let days: [CivilDate]
    private var changes: [Int32]
    private(set) var derivable = true

    /// nil without usable pnl dates.
    init?(days: [CivilDate]?) {
        guard let days, let first = days.first, let last = days.last else { return nil }
        self.days = days
        changes = Array(repeating: 0, count: Int(last.day - first.day) + 2)
    }

    /// The trades lack what exposure needs (an entry or exit column).
    mutating func markNotDerivable() { derivable = false }

    mutating func add(entry: CivilDate?, exit: CivilDate?) {
        guard derivable else { return }
        guard let entry, let exit, entry <= exit else { derivable = false; return }
        let first = days[0].day, last = days[days.count - 1].day
        guard exit.day >= first, entry.day <= last else { return }
        changes[Int(max(entry.day, first) - first)] += 1
        changes[Int(min(exit.day, last) - first) + 1] -= 1
    }

    /// The fraction of pnl days on which a position was open; nil when not derivable.
    var exposure: Double? {
        guard derivable else { return nil }
        let first = days[0].day
        var open: Int32 = 0
        var next = 0
        var exposed = 0
        for (offset, change) in changes.enumerated() where next < days.count {
            open += change
            if days[next].day - first == offset {
                if open > 0 { exposed += 1 }
                next += 1
            }
        }
        return Double(exposed) / Double(days.count)
    }
}
