import JSON

/// One finding about a result file. `message` is complete on its own and starts with the file and, where there is
/// one, the line (`pnl.csv:1043: cumulative_pnl is empty`), so that an editor can jump to it from a plain list.
public struct ValidationIssue: Sendable, Equatable {
    public let severity: Severity
    /// Stable id of the rule that found it (`trades.required_columns`); the key for severity overrides.
    public let rule: String
    /// The file it is about, relative to the results directory (`execution.log` for the run's log).
    public let file: String
    /// Physical line in that file (1-based, the header is line 1), when the finding has one.
    public let line: Int?
    public let message: String

    public init(severity: Severity, rule: String, file: String, line: Int?, message: String) {
        self.severity = severity
        self.rule = rule
        self.file = file
        self.line = line
        self.message = message
    }

    /// `{severity, rule, file, line, message}`; line is null when there is none.
    public func json() -> JSONValue {
        .object([
            "severity": .string(severity.rawValue), "rule": .string(rule), "file": .string(file),
            "line": .from(line), "message": .string(message),
        ])
    }
}
