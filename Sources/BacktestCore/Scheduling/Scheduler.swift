import Base
import Dispatch
import Glibc
import Synchronization

/// Starts queued runs while the workspace has a free slot. Any process of the workspace may run a pass (a
/// server after `run`, at start and on a timer; a supervisor when its run ends), and passes of different
/// processes exclude each other through `sched.lock`, so every queued run is claimed exactly once and
/// `max_parallel` is one budget for the whole workspace.
///
/// A claim: take a free slot lock (`slots/<n>.lock`), take the run lock (`<run_dir>/.lock`), remove the
/// queue entry, spawn the supervisor detached with both locked descriptors as its fds 3 and 4, close ours.
/// flock locks belong to the open file, so the child holds them from birth and until it dies: no moment
/// where another process could see the slot free, and a dead supervisor frees its slot by dying.
public final class Scheduler: Sendable {
    public let layout: WorkspaceLayout
    public let maxParallel: Int
    /// The `backtest-rpc` binary, started as `supervise <run_dir> --runs-dir <dir> --workspace-root <dir>`.
    public let supervisorExecutable: String
    /// Where claimed runs go: a local supervisor each (bounded by `max_parallel` slots), or a Slurm job each
    /// (bounded by `executor.max_jobs`).
    public let executor: Executor
    private let store: RunStore
    /// Supervisors this process started and has not reaped yet. They are our children until they exit
    /// (setsid does not re-parent), so each is waited for (WNOHANG, by pid: never `waitpid(-1)`, which
    /// would steal other children's statuses) or it would stay a zombie. One list per process, not per
    /// scheduler: a supervisor that goes on to its next run makes a scheduler per pass, and the next pass
    /// must reap what the last one started.
    private static let spawned = Shared<[pid_t]>([])
    private var children: Shared<[pid_t]> { Self.spawned }
    /// The supervisor's environment: this process's, read once (the script's comes from its spec).
    private let environment = ProcessEnvironment.current()

    /// Usable without a Workspace: a supervisor builds one on its layout to run a pass when its run ends.
    /// `index` keeps the index current when a claim fails and the record is written here.
    /// A supervisor waiting to be handed the next run (servers keep one; a supervisor's own end-of-run pass
    /// starts supervisors the ordinary way).
    private let standby: SupervisorStandby?

    public init(layout: WorkspaceLayout, maxParallel: Int, supervisorExecutable: String, index: (any RunIndexing)? = nil,
                keepsStandby: Bool = false, executor: Executor = .local) {
        self.layout = layout
        self.executor = executor
        self.maxParallel = max(1, maxParallel)
        self.supervisorExecutable = supervisorExecutable
        store = RunStore(layout: layout, index: index)
        if keepsStandby, executor == .local {
            let children = Self.spawned
            standby = SupervisorStandby(executable: supervisorExecutable, layout: layout, environment: environment,
                                        onSpawn: { pid in children.withLock { $0.append(pid) } })
        } else {
            standby = nil
        }
    }

    public convenience init(layout: WorkspaceLayout, config: WorkspaceConfig, supervisorExecutable: String,
                            index: (any RunIndexing)? = nil, keepsStandby: Bool = false) {
        self.init(layout: layout, maxParallel: config.maxParallel, supervisorExecutable: supervisorExecutable, index: index,
                  keepsStandby: keepsStandby, executor: config.executor)
    }

    /// Starts the standby supervisor ahead of the first run (off the caller's thread).
    public func prepareStandby() {
        guard let standby else { return }
        DispatchQueue.global(qos: .utility).async { standby.prepare() }
    }

    /// The pass a supervisor runs when its run has ended (after it gave up its slot): reads the workspace's
    /// config for `max_parallel` and claims what the queue allows. With `keepingOne`, the first run it claims
    /// is handed back, locks and all, for the calling supervisor to run itself (no new process: its start-up
    /// is most of what a short run costs); the others get supervisors from the same binary. With a config
    /// that no longer reads, it does nothing: the servers' periodic pass, on the config they opened with,
    /// takes over.
    public static func passAfterRunEnded(layout: WorkspaceLayout, index: (any RunIndexing)? = nil,
                                         supervisorExecutable: String = Scheduler.currentExecutable(),
                                         keepingOne: Bool = false) -> ClaimedRun? {
        guard let config = try? WorkspaceConfig.load(root: layout.root, runsDir: layout.runsDir) else { return nil }
        let scheduler = Scheduler(layout: layout, config: config, supervisorExecutable: supervisorExecutable, index: index)
        return scheduler.pass(keepingOne: keepingOne).kept
    }

    /// This process's executable (/proc/self/exe survives a rename of the file on disk).
    public static func currentExecutable() -> String {
        guard let exe = FileSystem.linkTarget("/proc/self/exe"), !exe.isEmpty else { return CommandLine.arguments.first ?? "backtest-rpc" }
        return exe
    }

    /// Claims queued runs in id order while slots are free. Returns the ids it started. Cheap when the queue
    /// is empty (one readdir), so it is fine to call often.
    @discardableResult
    public func schedulePass() -> [String] { pass(keepingOne: false).started }

    /// Starts a run that is being created, without a queue entry or a pass: when nothing is queued before it,
    /// a slot is free and a standby supervisor waits, the run (whose lock its creator holds) goes straight to
    /// the standby under `sched.lock`, as a pass would have claimed it. False: queue it the ordinary way.
    /// The queue entry, the pass's hop to its own thread and its second look at the run cost ~0.2–0.4 ms
    /// before the script's start, for the commonest case of one run asked for at a time.
    func startNow(paths: RunPaths, runLock: FileLock) -> Bool {
        guard executor == .local, let standby, standby.isWaiting else { return false }
        guard let sched = FileLock(path: layout.schedulerLock) else { return false }
        sched.lock()
        defer { sched.close() }
        guard queuedIDs()?.isEmpty == true, let (slot, _) = freeSlot(from: 0) else { return false }
        defer { slot.close() }
        StepTrace.mark("pass: run claimed")
        return standby.handOver(runDir: paths.runDir, slotFD: slot.fd, runLockFD: runLock.fd) != nil
    }

    /// A run claimed for the caller itself: its slot and run locks are held by these open files.
    public struct ClaimedRun {
        let paths: RunPaths
        let slot: FileLock
        let runLock: FileLock
    }

    private func pass(keepingOne: Bool) -> (started: [String], kept: ClaimedRun?) {
        reapChildren()
        guard let entries = queuedIDs(), !entries.isEmpty else { return ([], nil) }
        guard let sched = FileLock(path: layout.schedulerLock) else { return ([], nil) }
        sched.lock()
        defer { sched.close() }
        // Read again under the lock: another process may have claimed or cancelled meanwhile.
        guard let queued = queuedIDs() else { return ([], nil) }
        if case .slurm(let settings) = executor { return (slurmPass(queued, settings), nil) }
        var started: [String] = []
        var kept: ClaimedRun?
        var nextSlot = 0
        for runID in queued {
            guard let (slot, n) = freeSlot(from: nextSlot) else { break }
            nextSlot = n + 1
            switch claim(runID, slot: slot, keep: keepingOne && kept == nil) {
            case .started: started.append(runID)
            case .kept(let run): kept = run
            case .skipped, .failed: nextSlot = n  // the slot is free again (we closed it): offer it to the next run
            }
        }
        return (started, kept)
    }

    private enum ClaimResult { case started, kept(ClaimedRun), skipped, failed }

    /// Claims one run with a slot this pass holds. Kept, the run is handed back with both locks; otherwise
    /// the slot lock is released (closed) on every path, and when the supervisor started, its copy keeps
    /// the slot taken.
    private func claim(_ runID: String, slot: FileLock, keep: Bool) -> ClaimResult {
        let paths = layout.run(runID)
        let entry = layout.queueEntry(runID)
        guard RunStore.isValidRunID(runID), FileSystem.isDirectory(paths.runDir) else {
            unlink(entry)  // a stray entry, or its run was deleted: nothing to start
            return .skipped
        }
        // Held: someone is looking at this run (a cancel, an interruption check): try next pass.
        guard let runLock = FileLock.tryAcquire(paths.lock) else { return .skipped }
        guard let record = try? store.load(paths: paths), record.status == .queued else {
            unlink(entry)  // cancelled or already handled; the entry is stale
            return .skipped
        }
        unlink(entry)
        if keep { return .kept(ClaimedRun(paths: paths, slot: slot, runLock: runLock)) }
        let rc = spawnSupervisor(paths: paths, slotFD: slot.fd, runLockFD: runLock.fd)
        slot.close()
        if rc != 0 {
            var r = record
            r.failBeforeStart("could not start the supervisor \(supervisorExecutable): \(errnoText(rc))")
            try? store.save(r)
            return .failed
        }
        return .started
    }

    /// With the Slurm executor: submits queued runs while fewer than `max_jobs` of the workspace's jobs are
    /// in flight (submitted and not yet seen ended, `slurm-jobs/`), under `sched.lock` like any pass.
    private func slurmPass(_ queued: [String], _ settings: SlurmSettings) -> [String] {
        try? FileSystem.makeDirectories(layout.slurmJobsDir)
        var inFlight = FileSystem.entries(layout.slurmJobsDir)?.filter { !$0.hasPrefix(".") }.count ?? settings.maxJobs
        var started: [String] = []
        for runID in queued where inFlight < settings.maxJobs {
            switch submitToSlurm(runID, settings) {
            case .started: started.append(runID); inFlight += 1
            case .kept, .skipped, .failed: break
            }
        }
        return started
    }

    /// Claims one run for Slurm: marks it as Slurm's and counts it in flight before `sbatch` (so no pass
    /// can submit past `max_jobs` meanwhile), then lets go of its lock for the job's supervisor to take.
    private func submitToSlurm(_ runID: String, _ settings: SlurmSettings) -> ClaimResult {
        let paths = layout.run(runID)
        let entry = layout.queueEntry(runID)
        guard RunStore.isValidRunID(runID), FileSystem.isDirectory(paths.runDir) else { unlink(entry); return .skipped }
        guard let runLock = FileLock.tryAcquire(paths.lock) else { return .skipped }
        guard var record = try? store.load(paths: paths), record.status == .queued else {
            unlink(entry)
            return .skipped
        }
        guard let spec = try? store.loadSpec(paths: paths),
              SlurmJobMark.write(SlurmJobMark.submitting, runID: runID, layout: layout) else {
            unlink(entry)
            return failSubmission(&record, "could not hand the run to Slurm: its spec or its job files could not be read or written")
        }
        unlink(entry)
        runLock.close()
        let submitter = SlurmSubmitter(layout: layout, settings: settings, supervisorExecutable: supervisorExecutable)
        switch submitter.submit(paths: paths, spec: spec) {
        case .success(let jobID):
            SlurmJobMark.write(jobID, runID: runID, layout: layout)
            return .started
        case .failure(let failure):
            // Never submitted: nobody else writes this run.
            return failSubmission(&record, "could not submit the run to Slurm: \(failure)")
        }
    }

    /// A run that never became a job fails with `spawn_error`, and is not counted against `max_jobs`.
    private func failSubmission(_ record: inout RunRecord, _ message: String) -> ClaimResult {
        record.failBeforeStart(message)
        try? store.save(record)
        SlurmJobMark.remove(runID: record.runID, layout: layout)
        return .failed
    }

    /// Cancels a run still waiting in the queue, under `sched.lock` so that no pass claims it meanwhile; nil
    /// when it is no longer waiting (a pass claimed it).
    func cancelQueued(_ runID: String) throws(CoreError) -> RunRecord? {
        guard let sched = FileLock(path: layout.schedulerLock) else {
            throw .workspace(path: layout.schedulerLock, reason: "cannot open: \(errnoText())")
        }
        sched.lock()
        defer { sched.close() }
        let entry = layout.queueEntry(runID)
        guard FileSystem.exists(entry) else { return nil }
        // The run lock too, so that an interruption check never sees it queued without an entry. With its
        // entry there and sched.lock held, nobody has claimed the run: a holder is its maker closing it, or a
        // child being spawned by another thread of the process that made it (it holds a copy of every
        // descriptor until its exec). Either lets go in a moment: wait, rather than leave the run queued.
        guard let lock = FileLock(path: layout.run(runID).lock) else { return nil }
        lock.lock()
        defer { lock.close() }
        var r = try store.load(runID: runID)
        guard r.status == .queued else { unlink(entry); return r }
        r.status = .cancelled
        r.completedAt = ISOTime.nowMillis()
        r.errorMessage = "cancelled before it started"
        try store.save(r)
        unlink(entry)
        return r
    }

    /// The first slot from `start` up whose lock can be taken, with its number.
    private func freeSlot(from start: Int) -> (FileLock, Int)? {
        var n = start
        while n < maxParallel {
            if let l = FileLock.tryAcquire(layout.slotLock(n)) { return (l, n) }
            n += 1
        }
        return nil
    }

    /// Queue entry names (run ids) in id order, i.e. creation order.
    func queuedIDs() -> [String]? {
        FileSystem.entries(layout.queueDir).map { $0.filter { !$0.hasPrefix(".") }.sorted() }
    }

    /// Starts `backtest-rpc supervise` in a new session (so that no terminal signal or server exit reaches
    /// it), stdio on /dev/null, with the slot and run locks as fds 3 and 4. Returns 0 or an errno value.
    private func spawnSupervisor(paths: RunPaths, slotFD: Int32, runLockFD: Int32) -> Int32 {
        StepTrace.mark("pass: run claimed")
        if let standby, standby.handOver(runDir: paths.runDir, slotFD: slotFD, runLockFD: runLockFD) != nil { return 0 }
        let argv = [supervisorExecutable, "supervise"] + SupervisorCommand.arguments(runDir: paths.runDir, layout: layout)
        switch ProcessSpawner.spawn(executable: supervisorExecutable, argv: argv, environment: environment,
                                    cwd: layout.root, keepFDs: [slotFD, runLockFD], newSession: true) {
        case .success(let pid):
            children.withLock { $0.append(pid) }
            return 0
        case .failure(let e):
            return e.code
        }
    }

    /// Waits (without blocking) for supervisors this process started that have exited. Called by every
    /// pass and by the workspace's periodic tick.
    public func reapChildren() {
        children.withLock { pids in
            pids.removeAll { pid in
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                return r == pid || (r < 0 && errno == ECHILD)
            }
        }
    }
}
