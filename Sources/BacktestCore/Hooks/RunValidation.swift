import JSON
import Validation

/// The workspace's validation settings (`validation` and `profiles` in backtest-rpc.json), applied to runs.
/// Used by the supervisor when a run's script has exited, and by the server's `validate`.
public struct RunValidation: Sendable {
    public let config: ValidationConfig

    /// Parses the validation sections; a mistake is a config error naming the key, like any other.
    public init(workspace: WorkspaceConfig) throws(CoreError) {
        do { config = try ValidationConfig.parse(workspace.raw) } catch {
            throw .configInvalid(path: workspace.path ?? workspace.root + "/" + WorkspaceConfig.fileName,
                                 key: error.key, reason: error.reason)
        }
    }

    /// Refuses a profile that is neither built in nor declared, before a run is queued with it.
    public func checkProfile(_ name: String?) throws(CoreError) {
        guard let name, !config.profileNames.contains(name) else { return }
        throw .profileNotFound(profile: name, available: config.profileNames)
    }

    /// Validates a run's results with its profile (or the one asked for).
    public func validate(_ record: RunRecord, profile: String? = nil,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws(CoreError) -> ValidationReport {
        do {
            return try Validator.validate(profile: profile ?? record.profile, config: config, context: context(record),
                                          isCancelled: isCancelled)
        } catch { throw .profileNotFound(profile: error.profile, available: error.available) }
    }

    /// The result files' part of `hook`, ahead of the run's end (`PreparedValidation`); nil for a profile that
    /// is not split so.
    public func prepare(_ record: RunRecord, _ spec: RunSpec) -> PreparedValidation? {
        Validator.prepare(profile: spec.profile ?? record.profile, config: config, context: context(record))
    }

    /// The supervisor's validation hook: valid or not, the report for the record, and the first errors.
    /// `prepared`: the part `prepare` did, when no result file changed since.
    public func hook(_ record: RunRecord, _ spec: RunSpec, prepared: PreparedValidation? = nil) -> SupervisorHooks.Validation {
        if let prepared {
            let report = prepared.finish(context: context(record))
            return (report.valid, report.json(), report.errors.prefix(3).map(\.message))
        }
        do {
            let report = try validate(record, profile: spec.profile)
            return (report.valid, report.json(), report.errors.prefix(3).map(\.message))
        } catch {
            return (false, .null, [error.description])
        }
    }

    private func context(_ record: RunRecord) -> ValidationContext {
        ValidationContext(resultsDir: record.outputDir, runDir: record.runDir, params: record.params)
    }
}
