import JSON

/// Where a sweep stands: how many of its runs are in each status, and its best completed run by `rank_by`.
public struct SweepSummary: Sendable, Equatable {
    public var sweepID: String
    public var total = 0
    public var counts: [RunStatus: Int] = [:]
    public var best: (runID: String, metric: String, value: Double)?

    public static func == (a: SweepSummary, b: SweepSummary) -> Bool {
        a.sweepID == b.sweepID && a.total == b.total && a.counts == b.counts && a.best?.runID == b.best?.runID
            && a.best?.value == b.best?.value
    }

    /// Counts `statuses`; `best` as given (a streamer that keeps it from events).
    public init(sweepID: String, statuses: some Sequence<RunStatus>, best: (runID: String, metric: String, value: Double)?) {
        self.sweepID = sweepID
        for s in statuses { total += 1; counts[s, default: 0] += 1 }
        self.best = best
    }

    /// Tallies `runs` and picks the best completed one by `rankBy` (`metrics.sharpe`, `summary.total_pnl asc`).
    init(sweepID: String, runs: [RunRecord], rankBy: String?) {
        self.init(sweepID: sweepID, statuses: runs.map(\.status), best: nil)
        guard let rank = rankBy.flatMap(RankKey.init) else { return }
        for r in runs where r.status == .completed {
            guard let v = rank.value(of: r), rank.prefers(v, over: best?.value) else { continue }
            best = (r.runID, rank.field, v)
        }
    }

    public func count(_ s: RunStatus) -> Int { counts[s] ?? 0 }
}

/// A `rank_by` text: a field of a record (`metrics.<name>`, `summary.<name>`, `params.<name>`) and a direction,
/// descending unless `asc` follows (bigger is better for most metrics; `max_drawdown` is negative, so its
/// best is its largest too).
public struct RankKey: Sendable, Equatable {
    public var field: String
    public var ascending: Bool

    public init?(_ text: String) {
        let words = text.split(separator: " ").map(String.init)
        guard let f = words.first, words.count <= 2, f.split(separator: ".").count == 2,
              ["metrics", "summary", "params"].contains(String(f.split(separator: ".")[0])) else { return nil }
        if words.count == 2 && !["asc", "desc"].contains(words[1].lowercased()) { return nil }
        field = f
        ascending = words.count == 2 && words[1].lowercased() == "asc"
    }

    /// Whether `value` is better than `current` (nil: there is none yet); a tie keeps the current one.
    public func prefers(_ value: Double, over current: Double?) -> Bool {
        guard let current else { return true }
        return ascending ? value < current : value > current
    }

    /// The field's number in a record (a numeric string counts: params from a command line are text).
    public func value(of r: RunRecord) -> Double? {
        let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
        let source: JSONObject? = parts[0] == "metrics" ? r.metrics : parts[0] == "summary" ? r.summary : r.params
        guard let v = source?[parts[1]] else { return nil }
        let d = v.doubleValue ?? v.stringValue.flatMap(Double.init)
        return d.flatMap { $0.isFinite ? $0 : nil }
    }
}
