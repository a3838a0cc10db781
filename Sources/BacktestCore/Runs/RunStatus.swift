/// Where a run is in its life. queued → running → validating → completed | failed | cancelled.
public enum RunStatus: String, Sendable, CaseIterable {
    case queued, running, validating, completed, failed, cancelled

    /// A terminal status never changes again (except that `validate` may refresh a finished run's report).
    public var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }

    /// A run in one of these states must have a live supervisor holding its lock.
    public var needsSupervisor: Bool { self == .running || self == .validating }
}
