/// A validation in two parts, for a run whose script is still exiting: the result files as soon as the script
/// stopped writing them (`Validator.prepare`), the run's log once the script has ended (`finish`). The log is
/// the one file that still grows at the very end (an interpreter flushes its buffered output as it exits),
/// and it is small next to the results; the result files are read once. The caller must know that no result
/// file changed in between: `finish` does not look again.
///
/// Only the built-in profile is split so; a user profile may check any file, the log included.
public struct PreparedValidation: Sendable {
    let results: Validator.BacktestResults
    let config: ValidationConfig
    /// How long the first part took: the report's `duration_ms` is the time of both.
    let spent: Duration

    /// Reads the log and makes the report, as `Validator.validate` would have with the same files.
    public func finish(context: ValidationContext, isCancelled: @Sendable () -> Bool = { false }) -> ValidationReport {
        let started = ContinuousClock.now - spent
        let log = ExecutionLogCheck.run(runDir: context.runDir, resultsDir: context.resultsDir, isCancelled: isCancelled)
        return Validator.backtestReport(results, log: log, config: config, started: started, isCancelled: isCancelled)
    }
}

extension Validator {
    /// The first part of a validation (`PreparedValidation`); nil for a profile that is not the built-in one.
    /// On the calling thread alone: it is done while the script still runs, and must not take its core.
    public static func prepare(profile: String?, config: ValidationConfig, context: ValidationContext,
                               isCancelled: @Sendable () -> Bool = { false }) -> PreparedValidation? {
        guard (profile ?? config.defaultProfile) == ValidationConfig.builtinProfile else { return nil }
        let started = ContinuousClock.now
        let (results, _) = backtestFiles(config: config, context: context, withLog: false, serial: true,
                                         isCancelled: isCancelled)
        return PreparedValidation(results: results, config: config, spent: ContinuousClock.now - started)
    }
}
