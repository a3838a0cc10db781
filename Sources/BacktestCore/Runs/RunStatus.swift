/// Where a run is in its life. queued → running → validating → completed | failed | cancelled.
public enum RunStatus: String, Sendable, CaseIterable {
    case queued, running, validating, completed, failed, cancelled

    /// A terminal status never changes again (except that `validate` may refresh a finished run's report).
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

    /// Its place in the life of a run (queued 0, running 1, validating 2, ended 3): a run's status never
    /// goes to a lower stage, so a status read a moment ago can be told from a newer one.
    public var stage: Int {
        switch self {
        case .queued: return 0
        case .running: return 1
        case .validating: return 2
        case .completed, .failed, .cancelled: return 3
        }
    }

    /// A run in one of these states must have a live supervisor holding its lock.
    public var needsSupervisor: Bool { self == .running || self == .validating }
}
