import Dispatch
import Synchronization

/// Validates a results directory with a profile: the entry point for the orchestration core and the server.
/// It knows files, not runs: the caller says where the files are (`ValidationContext`).
///
/// The files are read at the same time on the available cores (a large trades.csv as two halves), each in one
/// streaming pass. `isCancelled` is polled every 64 Ki rows (a few MB) and between files, from the reading
/// threads, so it must be safe to call from any thread (read an atomic flag, for example).
public enum Validator {
    public static func validate(profile: String?, config: ValidationConfig, context: ValidationContext,
                                isCancelled: @Sendable () -> Bool = { false }) throws(ProfileNotFound) -> ValidationReport {
        let started = ContinuousClock.now
        let name = profile ?? config.defaultProfile
        if name == ValidationConfig.builtinProfile {
            return backtest(config: config, context: context, started: started, isCancelled: isCancelled)
        }
        if name == ValidationConfig.noChecksProfile {
            var report = ReportBuilder(defaults: [:], overrides: [:]).build(profile: name, started: started)
            report.skipped = true
            return report
        }
        guard let user = config.profile(named: name) else {
            throw ProfileNotFound(profile: name, available: config.profileNames)
        }
        return UserProfileCheck.validate(user, config: config, context: context, started: started, isCancelled: isCancelled)
    }

    /// Results of the concurrent jobs, each written once by its own job.
    struct BacktestSlots: Sendable {
        var tradesParts: [TradesCheck?]
        var pnl: PnLCheck?
        var summary: SummaryCheck?
        var log: ExecutionLogCheck?
    }

    /// What the built-in profile found in the result files (everything but the run's log).
    struct BacktestResults: Sendable {
        var metadata: MetadataCheck
        var capital: Capital
        var trades: TradesCheck
        var pnl: PnLCheck
        var summary: SummaryCheck
    }

    static func backtest(config: ValidationConfig, context: ValidationContext, started: ContinuousClock.Instant,
                         isCancelled: @Sendable () -> Bool) -> ValidationReport {
        let (results, log) = backtestFiles(config: config, context: context, withLog: true, isCancelled: isCancelled)
        return backtestReport(results, log: log!, config: config, started: started, isCancelled: isCancelled)
    }

    /// Reads the result files (and, `withLog`, the run's log beside them) at the same time on the available
    /// cores, or one after the other on the calling thread (`serial`).
    static func backtestFiles(config: ValidationConfig, context: ValidationContext, withLog: Bool, serial: Bool = false,
                              isCancelled: @Sendable () -> Bool) -> (BacktestResults, ExecutionLogCheck?) {
        let dir = context.resultsDir
        // metadata.json first: it is small, and it may hold the capital the drawdown rule needs.
        let metadata = MetadataCheck.run(resultsDir: dir)
        let capital = Capital.resolve(params: context.params, metadataParameters: metadata.parameters, config: config)
        let settings = PnLCheck.Settings(calendar: config.calendar, capital: capital.value, capitalSource: capital.source,
                                         maxDrawdownPct: config.maxDrawdownPct, tolerance: config.tolerance)
        let plan = TradesCheck.plan(resultsDir: dir, config: config)
        let tradeJobs = plan.parts.count
        let slots = Mutex(BacktestSlots(tradesParts: Array(repeating: nil, count: tradeJobs)))
        let maxLoss = config.maxLossPerTrade
        let runDir = context.runDir
        // The big file's parts first, so that the small files fill in around them.
        let jobs = tradeJobs + (withLog ? 3 : 2)
        let perform: (Int, @Sendable (Int) -> Void) -> Void = serial ? { n, job in for k in 0..<n { job(k) } }
            : { n, job in DispatchQueue.concurrentPerform(iterations: n, execute: job) }
        perform(jobs) { job in
            switch job {
            case ..<tradeJobs:
                let part = TradesCheck.readPart(plan, job, maxLoss: maxLoss, isCancelled: isCancelled)
                slots.withLock { $0.tradesParts[job] = part }
            case tradeJobs:
                let p = PnLCheck.run(resultsDir: dir, settings: settings, isCancelled: isCancelled)
                slots.withLock { $0.pnl = p }
            case tradeJobs + 1:
                let s = SummaryCheck.run(resultsDir: dir)
                slots.withLock { $0.summary = s }
            default:
                let l = ExecutionLogCheck.run(runDir: runDir, resultsDir: dir, isCancelled: isCancelled)
                slots.withLock { $0.log = l }
            }
        }
        let done = slots.withLock { $0 }
        let trades = TradesCheck.finish(plan, parts: done.tradesParts.map { $0! }, config: config)
        return (BacktestResults(metadata: metadata, capital: capital, trades: trades, pnl: done.pnl!, summary: done.summary!),
                done.log)
    }

    /// The built-in profile's report from what the files showed.
    static func backtestReport(_ r: BacktestResults, log: ExecutionLogCheck, config: ValidationConfig,
                               started: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool) -> ValidationReport {
        let (trades, pnl, summary, metadata) = (r.trades, r.pnl, r.summary, r.metadata)
        var b = ReportBuilder(defaults: BacktestRules.defaults, overrides: config.severities)
        b.cancelled = trades.cancelled || pnl.cancelled || log.cancelled || isCancelled()
        b.add(trades.findings.finished())
        b.add(summary.findings.finished())
        b.add(pnl.findings.finished())
        b.add(metadata.findings.finished())
        b.add(log.findings.finished())
        if !b.cancelled {
            b.add(Reconciliation.run(trades: trades, summary: summary, pnl: pnl, tolerance: config.tolerance))
        }
        b.file(TradesCheck.file, FileCheck(exists: trades.exists, size: trades.size,
                                           rowCount: trades.exists && trades.complete ? trades.rows : nil,
                                           columns: trades.columns))
        b.file(SummaryCheck.file, FileCheck(exists: summary.exists, size: summary.size,
                                            rowCount: summary.exists && summary.complete ? summary.rows : nil,
                                            columns: summary.columns))
        b.file(PnLCheck.file, FileCheck(exists: pnl.exists, size: pnl.size,
                                        rowCount: pnl.exists && pnl.complete ? pnl.rows : nil, columns: pnl.columns))
        b.file(MetadataCheck.file, FileCheck(exists: metadata.exists, size: metadata.size))
        b.file(ExecutionLogCheck.file, FileCheck(exists: log.exists, size: log.size,
                                                 rowCount: log.exists && !log.cancelled ? log.lines : nil))
        return b.build(profile: ValidationConfig.builtinProfile, started: started, capital: r.capital,
                       calendar: config.calendar.name)
    }
}
