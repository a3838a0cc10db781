/// What a search can name about a run (docs/search.md): a column of the index's `runs` table, or a value
/// kept in `run_values` under a key (`params.fast`, `metrics.sharpe`, `sweep_id`...).
public enum RunField: Sendable, Hashable {
    case status, script, runID, createdAt
    case sweepID, cachedFrom, profile
    case param(String), metric(String), summary(String)

    /// The names of the fields without a dot, as the texts spell them.
    static let plainNames: [String: RunField] = [
        "status": .status, "script": .script, "run_id": .runID, "created_at": .createdAt,
        "sweep_id": .sweepID, "cached_from": .cachedFrom, "profile": .profile,
    ]
    static let expected = "a field (params.<name>, metrics.<name>, summary.<name>, tags.<name>, status, script, run_id, "
        + "sweep_id, cached_from, profile, created_at)"
    /// The same without tags, which have no order.
    static let expectedSortable = "a field (params.<name>, metrics.<name>, summary.<name>, status, script, run_id, "
        + "sweep_id, cached_from, profile, created_at)"

    /// The field a word or `head.name` names; nil for anything else (`tags.<name>` is not a field: it is a
    /// condition of its own).
    init?(_ kind: SearchToken.Kind) {
        switch kind {
        case .word(let w): guard let f = Self.plainNames[w] else { return nil }; self = f
        case .path(head: "params", name: let name): self = .param(name)
        case .path(head: "metrics", name: let name): self = .metric(name)
        case .path(head: "summary", name: let name): self = .summary(name)
        default: return nil
        }
    }

    /// The key of this field's rows in `run_values`; nil for the columns of `runs`.
    var valueKey: String? {
        switch self {
        case .status, .script, .runID, .createdAt: return nil
        case .sweepID: return "sweep_id"
        case .cachedFrom: return "cached_from"
        case .profile: return "profile"
        case .param(let n): return "params." + n
        case .metric(let n): return "metrics." + n
        case .summary(let n): return "summary." + n
        }
    }

    /// The column of `runs` holding this field; nil for the fields kept in `run_values`.
    var column: String? {
        switch self {
        case .status: return "status"
        case .script: return "script"
        case .runID: return "run_id"
        case .createdAt: return "created_at"
        default: return nil
        }
    }
}
