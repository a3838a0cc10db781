import Base
import JSON

/// A sweep as it is kept on disk (`<state>/sweeps/<sweep_id>.json`, private like a run's spec: the template
/// holds the env as given): what every run of it is asked to do, the param set of each, and how its runs are
/// ranked. The runs themselves are ordinary runs whose records carry `sweep_id`; a sweep survives a server
/// restart, and a server that opens the workspace finishes creating the runs of a sweep another left half made.
///
/// Run ids are `<stem>__<n>` (n zero-padded, from 1): known the moment the sweep exists, so the `sweep`
/// answer lists them all before the runs are made, and any process can tell a run's sweep from its id.
public struct SweepRecord: Sendable {
    public var sweepID: String
    public var script: String
    public var createdAt: Int64
    /// `metrics.sharpe`, `summary.total_pnl desc`, ...: what `best` means (descending unless `asc`).
    public var rankBy: String?
    /// Each run's request but its params (`RunRequestTemplate`).
    public var template: JSONObject
    public var paramSets: [JSONObject]

    public static let idPrefix = "sweep_"

    public var total: Int { paramSets.count }
    var stem: String { String(sweepID.dropFirst(Self.idPrefix.count)) }
    var width: Int { max(4, String(total).count) }

    /// The id of run `i` (0-based) of the sweep.
    public func runID(_ i: Int) -> String {
        let n = String(i + 1)
        return stem + "__" + String(repeating: "0", count: max(0, width - n.count)) + n
    }

    public var runIDs: [String] { (0..<total).map(runID) }

    /// The sweep a run id belongs to, by its form alone.
    public static func sweepID(ofRun runID: String) -> String? {
        guard let r = runID.range(of: "__") else { return nil }
        return idPrefix + runID[..<r.lowerBound]
    }

    /// The position of a run in its sweep, by its id.
    func index(of runID: String) -> Int? {
        guard let r = runID.range(of: "__"), let n = Int(runID[r.upperBound...]), n >= 1, n <= total,
              self.runID(n - 1) == runID else { return nil }
        return n - 1
    }

    public static func isValidID(_ id: String) -> Bool {
        id.hasPrefix(idPrefix) && RunStore.isValidRunID(String(id.dropFirst(idPrefix.count)))
    }

    func json() -> JSONValue {
        var o = JSONObject()
        o.appendUnchecked("sweep_id", .string(sweepID))
        o.appendUnchecked("script", .string(script))
        o.appendUnchecked("created_at", .string(ISOTime.format(millis: createdAt)))
        o.appendUnchecked("rank_by", .from(rankBy))
        o.appendUnchecked("template", .object(template))
        o.appendUnchecked("param_sets", .array(paramSets.map(JSONValue.object)))
        return .object(o)
    }

    init(sweepID: String, script: String, createdAt: Int64, rankBy: String?, template: JSONObject, paramSets: [JSONObject]) {
        self.sweepID = sweepID; self.script = script; self.createdAt = createdAt; self.rankBy = rankBy
        self.template = template; self.paramSets = paramSets
    }

    init?(json v: JSONValue) {
        guard let o = v.objectValue, let id = o["sweep_id"]?.stringValue, let script = o["script"]?.stringValue,
              let created = o["created_at"]?.stringValue.flatMap(ISOTime.parse),
              let sets = o["param_sets"]?.arrayValue?.compactMap(\.objectValue) else { return nil }
        self.init(sweepID: id, script: script, createdAt: created, rankBy: o["rank_by"]?.stringValue,
                  template: o["template"]?.objectValue ?? [:], paramSets: sets)
    }
}
