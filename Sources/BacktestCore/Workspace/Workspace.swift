import Base
import Dispatch
import Glibc
import JSON
import Provenance
import Reporting
import Synchronization

/// One workspace as seen by one server process: submits runs, answers questions about them, cancels them
/// and follows them live. Several processes may open the same workspace at once; everything they share is
/// on disk (see docs/architecture.md and docs/runs.md), so they see the same runs and share one
/// `max_parallel` budget.
///
/// This file is the workspace's whole API: every public operation is declared and documented here. The
/// longer ones are carried out by the internal parts it owns: `RunSubmission` (creating runs), `Scheduler`
/// (starting queued ones), `RunStore` and `RunIndex` (records), `InterruptionCheck` and `WorkspaceRepair`
/// (runs whose supervisor died, an index that drifted), `RunFollower` (live events).
///
/// Thread-safe; meant to be opened once per process and kept.
public final class Workspace: Sendable {
    public let config: WorkspaceConfig
    public let supervisorExecutable: String
    public let serverPID: Int32

    let index: RunIndex
    let store: RunStore
    let scheduler: Scheduler
    let submission: RunSubmission
    let repair: WorkspaceRepair
    let check: InterruptionCheck
    let follower: RunFollower
    let sweeps: SweepRunner
    /// With the Slurm executor: what keeps the workspace's runs true to Slurm (nil for local runs).
    let slurm: SlurmReconciler?
    private let ticker: PeriodicTask
    /// True while a scheduling pass is requested but not started (requests in between are merged).
    private let passPending = Atomic<Bool>(false)
    private let passQueue = DispatchQueue(label: "backtest-rpc.schedule")

    public var layout: WorkspaceLayout { config.layout }
    public var maxParallel: Int { config.maxParallel }

    /// How often the safety nets run: a scheduling pass (in case the process that should have started a
    /// queued run died) and the interruption check of active runs.
    public static let defaultTickInterval = 1.0
    /// How often the index is reconciled with the run directories while the workspace is open.
    static let indexSyncInterval = 30.0

    /// Opens the workspace at `root`: reads the config, creates the runs dir and its shared state, opens
    /// (or rebuilds) the index, ends runs whose supervisor died, starts what the queue allows, and starts the
    /// periodic safety nets (the first reconciling the index with the run dirs) and the follower thread.
    /// `runsDir`: a runs dir chosen by whoever runs the server (see `WorkspaceConfig.load`).
    public init(root: String, runsDir: String? = nil, supervisorExecutable: String, serverPID: Int32 = getpid(),
                tickInterval: Double = Workspace.defaultTickInterval, followInterval: Double = 0.02) throws(CoreError) {
        config = try WorkspaceConfig.load(root: root, runsDir: runsDir)
        self.supervisorExecutable = supervisorExecutable
        self.serverPID = serverPID
        let layout = config.layout
        for dir in [layout.runsDir, layout.stateDir, layout.slotsDir, layout.queueDir] {
            do throws(FileError) { try FileSystem.makeDirectories(dir) } catch {
                throw .workspace(path: dir, reason: "cannot create: \(error.reason)")
            }
        }
        index = try RunIndex(path: layout.index)
        store = RunStore(layout: layout, index: index)
        scheduler = Scheduler(layout: layout, config: config, supervisorExecutable: supervisorExecutable, index: index,
                              keepsStandby: true)
        submission = RunSubmission(config: config, store: store, index: index, serverPID: serverPID)
        check = InterruptionCheck(layout: layout, store: store)
        repair = WorkspaceRepair(layout: layout, store: store, index: index, check: check)
        if case .slurm(let settings) = config.executor {
            slurm = SlurmReconciler(layout: layout, store: store, settings: settings)
        } else {
            slurm = nil
        }
        let scheduler = scheduler
        // Called on the sweeps' own background queue: a pass there delays only the next run's creation.
        sweeps = SweepRunner(layout: layout, submission: submission, queued: { scheduler.schedulePass() },
                             cancelQueued: { _ = try? scheduler.cancelQueued($0) })

        // A rebuilt (or new) index must hold every run before the first answer. Otherwise the index is kept up
        // to date by every process that writes a run, and the readdir that catches what happened behind its
        // back (runs deleted or copied in by hand) is not worth making start-up wait for: it grows with the
        // runs dir (about a second at 1,000,000 runs), so it runs right after, in the background.
        if index.wasRebuilt { try repair.syncIndex() }
        AtomicFile.sweepTemporaries(in: layout.stateDir)
        for r in repair.refreshActive() { AtomicFile.sweepTemporaries(in: r.runDir) }

        let index = index
        follower = RunFollower(runsDir: layout.runsDir, store: store, interval: followInterval,
                               activeRunIDs: { (try? index.activeRecords().map(\.runID)) ?? [] },
                               runsCreatedSince: { (try? index.runIDs(createdSince: $0)) ?? [] })
        let repair = repair
        // The reconcile reads the whole runs dir (about a second at 1,000,000 runs): at most 1 % of the time.
        let nextSync = Mutex(MonotonicTime.now() + Self.indexSyncInterval)
        let slurm = slurm
        let nextSlurmLook = Mutex(0.0)
        ticker = PeriodicTask(name: "backtest-rpc workspace tick", interval: min(tickInterval, slurm?.settings.pollSeconds ?? tickInterval)) {
            // Slurm's view first: a job seen ended frees its place for the pass's next submission.
            if let slurm, nextSlurmLook.withLock({ $0 <= MonotonicTime.now() }) {
                slurm.reconcile()
                nextSlurmLook.withLock { $0 = MonotonicTime.now() + slurm.settings.pollSeconds }
            }
            scheduler.schedulePass()
            repair.refreshActive()
            // Rarely, and cheaply (a readdir and a query): runs deleted or copied in by hand, or an index
            // another process had to rebuild.
            let due = nextSync.withLock { $0 <= MonotonicTime.now() }
            if index.reopenIfReplaced() || due {
                let t0 = MonotonicTime.now()
                try? repair.syncIndex()
                let took = MonotonicTime.now() - t0
                nextSync.withLock { $0 = MonotonicTime.now() + max(Self.indexSyncInterval, took * 100) }
            }
        }
        // Slurm runs are reconciled at the open, before the first pass counts the jobs in flight: none stays
        // queued or running for a job that ended while no server was open.
        if let slurm { passQueue.async { slurm.reconcile() } }
        requestSchedulingPass()
        sweeps.resumeAll()
        if !index.wasRebuilt { passQueue.async { try? repair.syncIndex() } }
        submission.warmUpInterpreters()
        scheduler.prepareStandby()
    }

    deinit {
        submission.lateRows.flush()
        ticker.stop()
        follower.stop()
    }

    // MARK: Starting runs

    /// Checks a request, creates the run (directory, `.spec.json`, `run.json` as queued) and hands it straight
    /// to a waiting supervisor when nothing is queued before it and a slot is free (`Scheduler.startNow`), or
    /// gives it a queue entry and asks for a scheduling pass without waiting for it. Nothing is created when
    /// the request is refused.
    public func submit(_ req: RunRequest) throws(CoreError) -> RunRecord {
        try submission.submit(req, startNow: scheduler.startNow, queued: requestSchedulingPass)
    }

    /// Starts a new run with the original's params, args, environment and inputs, running the code captured
    /// in the original's `code/` rather than today's working tree. When it ends, its supervisor records in
    /// both runs whether every result file came out identical.
    public func rerun(runID: String) throws(CoreError) -> RunRecord {
        let original = try record(runID: runID)
        guard original.status.isTerminal else { throw .runNotFinished(runID: runID, status: original.status) }
        return try submit(.rerun(of: original, layout: layout, store: store))
    }

    /// Runs a scheduling pass soon on a background queue; requests made while one is pending merge.
    public func requestSchedulingPass() {
        guard !passPending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Holds the workspace until the pass ran: a run queued just before the workspace is dropped still
        // gets its pass.
        passQueue.async { [self] in
            passPending.store(false, ordering: .releasing)
            scheduler.schedulePass()
        }
    }

    /// Waits for the work opening started in the background (the index reconcile, the first scheduling
    /// pass): for benchmarks and tests that time what follows without it.
    public func waitForStartupWork() { passQueue.sync {} }

    /// A scheduling pass on the caller's thread (supervisors' end-of-run pass goes through `Scheduler`).
    @discardableResult
    public func schedulePass() -> [String] { scheduler.schedulePass() }

    // MARK: Looking at runs
    // Every answer reflects the run.json files (the truth) as of the call, with runs whose supervisor died
    // already ended as interrupted.

    /// The record of a run, fresh from its run.json (and ended as interrupted if its supervisor is gone).
    public func record(runID: String) throws(CoreError) -> RunRecord {
        do {
            let r = check.check(try store.load(runID: runID))
            return slurm == nil ? r : SlurmReconciler.shown(r, paths: layout.run(runID))
        } catch {
            guard case .runNotFound = error, SweepRecord.sweepID(ofRun: runID) != nil else { throw error }
            // A run of a sweep that is not made yet reads as queued (or cancelled); one whose record was
            // written since the look above is read again.
            if let pending = sweeps.pendingRecord(runID) { return pending }
            return check.check(try store.load(runID: runID))
        }
    }

    /// A page of a run's log: the last `tail` lines, or up to `limit` (default 1000) lines after `afterSeq`.
    /// `nextSeq` is the seq the next line will have; `complete` says the run has ended, no line follows and none
    /// was lost (`log_lines_lost`).
    public func logs(runID: String, tail: Int? = nil, afterSeq: Int? = nil, limit: Int? = nil,
                     stream: LogStream? = nil) throws(CoreError) -> (lines: [LogLine], totalLines: Int, nextSeq: Int, complete: Bool) {
        // The record first: when it is terminal, the log was complete before it was written.
        let r = try record(runID: runID)
        return LogReader(paths: layout.run(runID)).page(tail: tail, afterSeq: afterSeq, limit: max(0, limit ?? 1000),
                                                        stream: stream, ended: r.status.isTerminal, linesLost: r.logLinesLost)
    }

    /// Runs of the workspace, whichever process started them, newest first unless `ascending`, or by `orderBy`
    /// (then ties newest first). `where`: a search (`RunFilter.parse`, docs/search.md), combined with the other
    /// filters by "and".
    public func list(status: [RunStatus]? = nil, script: String? = nil, tag: String? = nil, since: Int64? = nil,
                     until: Int64? = nil, where filter: RunFilter? = nil, orderBy: RunOrder? = nil, limit: Int = 50,
                     offset: Int = 0, ascending: Bool = false) throws(CoreError) -> (total: Int, runs: [RunRecord]) {
        submission.lateRows.flush()
        repair.refreshActive()
        let page = try index.query(RunQuery(statuses: status, script: script, tag: tag, sinceMillis: since, untilMillis: until,
                                             filter: filter, order: orderBy, limit: max(0, limit), offset: max(0, offset),
                                             ascending: ascending))
        return check.answering(page, statuses: status)
    }

    /// Runs now running or validating, and runs waiting in the queue, in the whole workspace.
    public func counts() -> (active: Int, queued: Int) {
        submission.lateRows.flush()
        let active = repair.refreshActive()
        let running = active.filter { $0.status.needsSupervisor }.count
        return (running, active.count - running)
    }

    // MARK: Changing runs

    /// Cancels a run. A queued run is cancelled at once (under `sched.lock`, so no pass claims it meanwhile).
    /// A running or validating run's supervisor gets SIGTERM, stops the whole process group (SIGKILL after
    /// the grace period) and writes `cancelled` itself; the record returned is the current one, and the
    /// final status follows as a status event. A run that has ended: `runFinished`.
    ///
    /// No waiting: a run claimed by a supervisor that has not yet written its pid gets a cancel request file,
    /// which that supervisor reads right after writing its pid (`RunSupervisor`), so the cancel cannot fall
    /// between the two.
    public func cancel(runID: String) throws(CoreError) -> RunRecord {
        let r = try record(runID: runID)
        if r.status.isTerminal { throw .runFinished(runID: runID, status: r.status) }
        if r.status == .queued, let cancelled = try scheduler.cancelQueued(runID) { return cancelled }
        let paths = layout.run(runID)
        if let job = slurmJobID(paths) { return try cancelSlurmRun(runID, job: job, paths: paths) }
        // The request first, then a fresh look: a supervisor that writes its pid after this look reads it.
        let fd = open(paths.cancelRequest, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
        let now = try record(runID: runID)
        if now.status.isTerminal { return now }
        if now.status.needsSupervisor, let pid = now.supervisorPID, pid > 1 { CancelSignal.send(to: pid_t(pid), runID: runID) }
        return now
    }

    /// A run handed to Slurm: the request first (so that the supervisor, or the reconcile after a job that
    /// never started, knows the cancel was ours), then `scancel`. The job's supervisor stops the script and
    /// writes `cancelled`; a job still pending is ended by the next reconcile.
    private func cancelSlurmRun(_ runID: String, job: String, paths: RunPaths) throws(CoreError) -> RunRecord {
        let fd = open(paths.cancelRequest, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
        let running = (try? store.load(paths: paths))?.status.needsSupervisor == true
        if SlurmJobMark.isJobID(job), case .failure(let f) = SlurmCLI().cancel(job, supervisorOnly: running) {
            throw .workspace(path: paths.runDir, reason: "cannot cancel Slurm job \(job): \(f)")
        }
        slurm?.reconcile()
        return try record(runID: runID)
    }

    /// The Slurm job id of a run handed to Slurm (`submitting` while sbatch is asked), nil for local runs.
    func slurmJobID(_ paths: RunPaths) -> String? {
        SlurmJobMark.read(paths)
    }

    /// Changes an ended run's record under its run lock, so that two processes amending it at once (two
    /// servers validating) do not lose each other's writes. A run that has not ended: `runNotFinished`.
    @discardableResult
    public func update(runID: String, _ body: (inout RunRecord) throws -> Void) throws -> RunRecord {
        let current = try record(runID: runID)
        guard current.status.isTerminal else { throw CoreError.runNotFinished(runID: runID, status: current.status) }
        let paths = layout.run(runID)
        guard let lock = FileLock(path: paths.lock) else { throw CoreError.runNotFound(runID: runID) }
        // An ended run's lock is free, or held for a moment by another amending process: wait for it.
        lock.lock()
        defer { lock.close() }
        var r = try store.load(paths: paths)
        try body(&r)
        try store.save(r)
        return r
    }

    /// `validate`: checks a run's files now with the workspace's profiles (`RunValidation`) and keeps the
    /// report in its record. A run that is still going is checked but its record is left to its supervisor.
    public func validate(runID: String, profile: String?,
                         isCancelled: @escaping @Sendable () -> Bool = { false }) throws(CoreError) -> JSONValue {
        let validation = try RunValidation(workspace: config)
        let current = try record(runID: runID)
        let report = try validation.validate(current, profile: profile, isCancelled: isCancelled).json()
        guard current.status.isTerminal else { return report }
        do { _ = try update(runID: runID) { $0.validation = report } } catch let e as CoreError { throw e } catch {
            throw .workspace(path: current.runDir, reason: "\(error)")
        }
        return report
    }

    // MARK: Sweeps

    /// Starts a sweep: one run per param set of `plan`, each asked as `template` asks (its params added to
    /// each set), all carrying `sweep_id`. Answers once the sweep's record and first run exist (the script,
    /// interpreter and cache are checked by that run as by `run`); the other runs are made right after, in
    /// the background, and queued under `max_parallel` like any run (`SweepRunner`).
    public func sweep(_ plan: SweepPlan, template: RunRequest, rankBy: String?) throws(CoreError) -> SweepRecord {
        if let rankBy, RankKey(rankBy) == nil {
            throw .invalidArgument(field: "rank_by", reason: "a field metrics.<name>, summary.<name> or params.<name>, then asc or desc")
        }
        let sweep = try sweeps.create(plan, template: template, rankBy: rankBy).0
        requestSchedulingPass()
        return sweep
    }

    /// The sweep's record (its param sets and run ids).
    public func sweepRecord(_ sweepID: String) throws(CoreError) -> SweepRecord { try sweeps.load(sweepID) }

    /// Every run of the sweep, in order (a run not yet made reads as queued), then its reruns.
    public func sweepRuns(_ sweepID: String) throws(CoreError) -> [RunRecord] {
        let sweep = try sweeps.load(sweepID)
        var out: [RunRecord] = []
        out.reserveCapacity(sweep.total)
        let gone = sweeps.deleted(sweepID)
        for id in sweep.runIDs + sweeps.reruns(sweepID) where !gone.contains(id) {
            if let r = try? record(runID: id) { out.append(r) }
        }
        return out
    }

    /// Counts by status and the best completed run by the sweep's `rank_by`.
    public func sweepSummary(_ sweepID: String) throws(CoreError) -> SweepSummary {
        let sweep = try sweeps.load(sweepID)
        return SweepSummary(sweepID: sweepID, runs: try sweepRuns(sweepID), rankBy: sweep.rankBy)
    }

    /// Cancels what has not ended: runs not yet made are never made, queued and running ones are cancelled.
    public func cancelSweep(_ sweepID: String) throws(CoreError) -> SweepSummary {
        _ = try sweeps.load(sweepID)
        sweeps.cancel(sweepID)
        for r in try sweepRuns(sweepID) where !r.status.isTerminal && FileSystem.exists(r.runDir) {
            _ = try? cancel(runID: r.runID)
        }
        return try sweepSummary(sweepID)
    }

    /// Reruns the sweep's failed runs (`onlyFailed`) or all its ended ones, each as `rerun` does; the new runs
    /// carry the sweep's id too, so the sweep's counts and `list` include them.
    public func rerunSweep(_ sweepID: String, onlyFailed: Bool) throws(CoreError) -> [RunRecord] {
        let runs = try sweepRuns(sweepID).filter { onlyFailed ? $0.status == .failed : $0.status.isTerminal }
        var out: [RunRecord] = []
        for r in runs {
            var request = try RunRequest.rerun(of: r, layout: layout, store: store)
            request.extra["sweep_id"] = .string(sweepID)
            let again = try submit(request)
            sweeps.addRerun(again.runID, to: sweepID)
            out.append(again)
        }
        return out
    }

    // MARK: Managing runs

    /// Deletes ended runs: their directories, index rows and any cache entry pointing at them. Refuses the
    /// whole request, deleting nothing, when any of them is still queued or running.
    public func delete(runIDs: [String]) throws(CoreError) -> [String] {
        let records = try runIDs.map { (id) throws(CoreError) -> RunRecord in try record(runID: id) }
        let active = records.filter { !$0.status.isTerminal }.map(\.runID)
        if !active.isEmpty { throw .runsActive(runIDs: active) }
        for r in records {
            submission.cache.forget(r)
            // A sweep's run is remembered as deleted first: never made again, never read as pending.
            if let sweepID = SweepRecord.sweepID(ofRun: r.runID) { sweeps.addDeleted([r.runID], to: sweepID) }
            // An ended run's supervisor still completes its metadata under the run lock after the final
            // record: wait for it, or it would write into the dir again after it is gone.
            let lock = FileLock(path: layout.run(r.runID).lock, create: false)
            lock?.lock()
            FileSystem.removeTree(r.runDir)
            lock?.close()
        }
        submission.lateRows.flush()  // a row written late must not bring a deleted run back
        index.remove(runIDs: records.map(\.runID))
        return records.map(\.runID)
    }

    /// Edits an ended or running run's tags and note after the fact (under its run lock when it has ended).
    public func tag(runID: String, add: [String], remove: [String], note: String??) throws(CoreError) -> RunRecord {
        func edit(_ r: inout RunRecord) {
            r.tags = r.tags.filter { !remove.contains($0) }
            for t in add where !r.tags.contains(t) { r.tags.append(t) }
            if let note { r.note = note }
        }
        let current = try record(runID: runID)
        guard current.status.isTerminal else {
            throw .runNotFinished(runID: runID, status: current.status)
        }
        do { return try update(runID: runID) { edit(&$0) } } catch let e as CoreError { throw e } catch {
            throw .workspace(path: current.runDir, reason: "\(error)")
        }
    }

    // MARK: Results

    /// One row per run with its params and every metric of its summary.csv (`RunComparison`).
    public func compare(_ records: [RunRecord]) -> (columns: [String], rows: [JSONObject], csv: String) {
        RunComparison.table(runs: records.map { r in
            (record: r.json().objectValue ?? [:], summaryCSVPath: r.outputDir + "/summary.csv")
        }, packages: records.map { r in
            guard case .object(let p)? = MetadataDocument.read(runDir: r.runDir)?["packages"] else { return nil }
            var out: [String: String] = [:]
            for (k, v) in p { if let s = v.stringValue { out[k] = s } }
            return out
        })
    }

    /// Writes `results/reports/report.html` for a run (`RunReportFile`) and returns its path.
    public func report(runID: String) throws(CoreError) -> String {
        // The capital rule's last resort is the config's validation.capital, as in validation.
        try RunReportFile.write(for: record(runID: runID), configuredCapital: RunValidation(workspace: config).config.capital)
    }

    /// Writes `<state>/sweeps/<sweep_id>.html` (`SweepReport`: the runs ranked by the sweep's `rank_by`, and
    /// a heatmap of it over the first two params the sweep varied) and returns its path.
    public func report(sweepID: String) throws(CoreError) -> String {
        let sweep = try sweeps.load(sweepID)
        let key = sweep.rankBy.flatMap(RankKey.init)
        let rows = try sweepRuns(sweepID).map { r in
            SweepReport.Row(runID: r.runID, status: r.status.rawValue, params: r.params,
                            value: r.status == .completed ? key?.value(of: r) : nil)
        }
        let html = SweepReport.render(sweepID: sweepID, script: sweep.script, rankBy: key?.field,
                                      ascending: key?.ascending ?? false, rows: rows)
        let path = layout.sweepsDir + "/" + sweepID + ".html"
        try CoreError.workspaceFile(path) { () throws(FileError) in try AtomicFile.write(Array(html.utf8), to: path) }
        return path
    }

    // MARK: Following runs
    // Status changes, log lines and progress of any run of the workspace, whichever process started it
    // (see `RunFollower`).

    /// Starts following `runIDs` (nil: every run, including runs created later by any process) and returns
    /// the token for `addRun` and `unfollow`. Runs already under way are followed `from` now by default;
    /// `handler` is called on the follower thread and must not block for long.
    public func follow(runIDs: Set<String>?, from: FollowStart = .now,
                       handler: @escaping @Sendable (RunEvent) -> Void) -> FollowToken {
        follower.follow(runIDs: runIDs, from: from, handler: handler)
    }

    /// Adds a run to a follower: by default from its beginning (for a run just submitted, whose first lines
    /// or even end may come before the follower looks). Pass `.now` for a run already under way.
    public func addRun(_ runID: String, to token: FollowToken, from: FollowStart = .beginning) {
        follower.addRun(runID, to: token, from: from)
    }

    /// Stops the follower `token` names.
    public func unfollow(_ token: FollowToken) {
        follower.unfollow(token)
    }
}
