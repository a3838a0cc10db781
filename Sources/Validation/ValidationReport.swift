import Base
import Foundation
import JSON

/// The outcome of validating one results directory with one profile: what `validate` answers and the run record
/// stores under `validation`.
public struct ValidationReport: Sendable {
    /// No error-level issue (warnings do not count), and the validation ran to the end.
    public var valid: Bool
    public var errors: [ValidationIssue]
    public var warnings: [ValidationIssue]
    /// Every issue in the order found (files in the profile's order, then cross-file checks).
    public var issues: [ValidationIssue]
    /// Per file, keyed by its path relative to the results directory (`execution.log` for the run's log).
    public var fileChecks: [String: FileCheck]
    public var profile: String
    public var validatedAt: Date
    public var durationMs: Double
    /// `isCancelled` answered true before the end; the report is then incomplete and not valid.
    public var cancelled: Bool
    /// The capital the drawdown rule used and where it came from ("params", "metadata.json", "config");
    /// nil for user profiles.
    public var capital: Double?
    public var capitalSource: String?
    /// The trading calendar pnl.csv was checked against; nil for user profiles.
    public var calendar: String?
    /// Nothing was checked: the `none` profile.
    public var skipped = false

    public init(valid: Bool, errors: [ValidationIssue], warnings: [ValidationIssue], issues: [ValidationIssue],
                fileChecks: [String: FileCheck], profile: String, validatedAt: Date, durationMs: Double,
                cancelled: Bool = false, capital: Double? = nil, capitalSource: String? = nil, calendar: String? = nil) {
        self.valid = valid
        self.errors = errors
        self.warnings = warnings
        self.issues = issues
        self.fileChecks = fileChecks
        self.profile = profile
        self.validatedAt = validatedAt
        self.durationMs = durationMs
        self.cancelled = cancelled
        self.capital = capital
        self.capitalSource = capitalSource
        self.calendar = calendar
    }

    /// `{valid, errors, warnings, issues, file_checks, profile, validated_at, duration_ms}` plus `capital`,
    /// `capital_source` and `calendar` for the backtest profile, `cancelled: true` when it was cancelled and
    /// `skipped: true` for the `none` profile (valid, nothing checked).
    /// `errors` and `warnings` are message strings; `issues` has the structured form. `file_checks` is ordered
    /// by file name.
    public func json() -> JSONValue {
        var checks = JSONObject()
        for name in fileChecks.keys.sorted() { checks.appendUnchecked(name, fileChecks[name]!.json()) }
        var o: JSONObject = [
            "valid": .bool(valid),
            "errors": .from(errors.map(\.message)),
            "warnings": .from(warnings.map(\.message)),
            "issues": .array(issues.map { $0.json() }),
            "file_checks": .object(checks),
            "profile": .string(profile),
            "validated_at": .string(ISOTime.format(epochSeconds: validatedAt.timeIntervalSince1970)),
            "duration_ms": .double((durationMs * 1000).rounded() / 1000),
        ]
        if let capital { o["capital"] = .double(capital) }
        if let capitalSource { o["capital_source"] = .string(capitalSource) }
        if let calendar { o["calendar"] = .string(calendar) }
        if cancelled { o["cancelled"] = .bool(true) }
        if skipped { o["skipped"] = .bool(true) }
        return .object(o)
    }
}
