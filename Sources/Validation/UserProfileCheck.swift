import Dispatch
import Synchronization

/// Runs a user profile: its files at once, then the run's log if the profile checks it.
enum UserProfileCheck {
    static func validate(_ profile: UserProfile, config: ValidationConfig, context: ValidationContext,
                         started: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool) -> ValidationReport {
        let files = profile.files
        let dir = context.resultsDir
        let results = Mutex<[UserFileCheck?]>(Array(repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let r = UserFileCheck.run(files[i], resultsDir: dir, isCancelled: isCancelled)
            results.withLock { $0[i] = r }
        }
        var defaults: [String: Severity] = [:]
        for r in profile.rules { defaults[r.id] = r.severity }
        let overrides = config.severities.merging(profile.severities) { _, profile in profile }
        var b = ReportBuilder(defaults: defaults, overrides: overrides)
        let checks = results.withLock { $0.map { $0! } }
        for c in checks {
            b.add(c.findings.finished())
            b.file(c.spec.path, FileCheck(exists: c.exists, size: c.size,
                                          rowCount: c.spec.format == .csv && c.exists && c.complete ? c.rows : nil,
                                          columns: c.columns))
            if c.cancelled { b.cancelled = true }
        }
        if profile.checkLog {
            let log = ExecutionLogCheck.run(runDir: context.runDir, resultsDir: dir, isCancelled: isCancelled)
            b.add(log.findings.finished())
            b.file(ExecutionLogCheck.file, FileCheck(exists: log.exists, size: log.size,
                                                     rowCount: log.exists && !log.cancelled ? log.lines : nil))
            if log.cancelled { b.cancelled = true }
        }
        if isCancelled() { b.cancelled = true }
        return b.build(profile: profile.name, started: started)
    }
}
