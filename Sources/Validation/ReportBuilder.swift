import Foundation

/// Turns findings into issues with the config's severities (`off` drops them), prefixes messages with
/// `file:line:`, and collects the per-file facts into a report.
struct ReportBuilder {
    let defaults: [String: Severity]
    let overrides: [String: RuleSeverity]
    private(set) var issues: [ValidationIssue] = []
    private(set) var files: [String: FileCheck] = [:]
    var cancelled = false

    init(defaults: [String: Severity], overrides: [String: RuleSeverity]) {
        self.defaults = defaults
        self.overrides = overrides
    }

    /// The severity a rule's findings get, nil when the config turned it off.
    func severity(of rule: String) -> Severity? {
        if let o = overrides[rule] { return o.severity }
        return defaults[rule] ?? .error
    }

    mutating func add(_ findings: [Finding]) {
        for f in findings {
            guard let sev = severity(of: f.rule) else { continue }
            let prefix = f.line.map { "\(f.file):\($0): " } ?? "\(f.file): "
            issues.append(ValidationIssue(severity: sev, rule: f.rule, file: f.file, line: f.line, message: prefix + f.text))
        }
    }

    mutating func file(_ name: String, _ check: FileCheck) { files[name] = check }

    func build(profile: String, started: ContinuousClock.Instant, capital: Capital? = nil,
               calendar: String? = nil) -> ValidationReport {
        var all = issues
        if cancelled {
            all.insert(ValidationIssue(severity: .error, rule: "validation.cancelled", file: "", line: nil,
                                       message: "validation was cancelled before it finished"), at: 0)
        }
        var checks = files
        for (name, var c) in checks {
            c.errors = all.filter { $0.file == name && $0.severity == .error }.map(\.message)
            c.warnings = all.filter { $0.file == name && $0.severity == .warning }.map(\.message)
            checks[name] = c
        }
        let errors = all.filter { $0.severity == .error }
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return ValidationReport(valid: errors.isEmpty && !cancelled, errors: errors,
                                warnings: all.filter { $0.severity == .warning }, issues: all, fileChecks: checks,
                                profile: profile, validatedAt: Date(), durationMs: ms, cancelled: cancelled,
                                capital: capital?.value, capitalSource: capital?.source, calendar: calendar)
    }
}
