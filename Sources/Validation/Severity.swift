/// How much a finding matters. Errors make a result invalid (the run fails with `validation`); warnings are
/// reported and stored but do not.
public enum Severity: String, Sendable, Equatable {
    case error
    case warning
}

/// What the config may set a rule to: a severity, or `off` to drop the rule's findings entirely.
public enum RuleSeverity: String, Sendable, Equatable, CaseIterable {
    case error
    case warning
    case off

    /// The severity findings get, nil when the rule is off.
    public var severity: Severity? {
        switch self {
        case .error: return .error
        case .warning: return .warning
        case .off: return nil
        }
    }
}
