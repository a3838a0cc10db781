import Dispatch
import Glibc
import JSON
import Provenance
import Synchronization

/// One workspace as seen by one server process: submits runs, answers questions about them, cancels them
/// and follows them live. Several processes may open the same workspace at once; everything they share is
/// on disk (see docs/architecture.md and docs/runs.md), so they see the same runs and share one
/// `max_parallel` budget.
///
/// Thread-safe; meant to be opened once per process and kept.
public final class Workspace: Sendable {
    public let config: WorkspaceConfig
    public let supervisorExecutable: String
    public let serverPID: Int32
    public let index: RunIndex
    public let store: RunStore
    public let scheduler: Scheduler

    let repair: WorkspaceRepair
    let check: InterruptionCheck
    let follower: RunFollower
    private let ticker: PeriodicTask
    /// This process's environment when the workspace opened: what scripts inherit (the core never changes
    /// the process's own environment).
    private let baseEnv: [String: String]
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
    /// periodic safety nets and the follower thread.
    /// `runsDir`: a runs dir chosen by whoever runs the server (see `WorkspaceConfig.load`).
    public init(root: String, runsDir: String? = nil, supervisorExecutable: String, serverPID: Int32 = getpid(),
                tickInterval: Double = Workspace.defaultTickInterval, followInterval: Double = 0.02) throws(CoreError) {
        config = try WorkspaceConfig.load(root: root, runsDir: runsDir)
        self.supervisorExecutable = supervisorExecutable
        self.serverPID = serverPID
        let layout = config.layout
        for dir in [layout.runsDir, layout.stateDir, layout.slotsDir, layout.queueDir] {
            if let e = PathOps.makeDirectories(dir) { throw .workspace(path: dir, reason: "cannot create: \(e)") }
        }
        index = try RunIndex(path: layout.index)
        store = RunStore(layout: layout, index: index)
        scheduler = Scheduler(layout: layout, config: config, supervisorExecutable: supervisorExecutable, index: index,
                              keepsStandby: true)
        check = InterruptionCheck(layout: layout, store: store)
        repair = WorkspaceRepair(layout: layout, store: store, index: index, check: check)
        baseEnv = ProcessEnvironment.current()

        try repair.syncIndex()
        WorkspaceRepair.sweepTemporaries(in: layout.stateDir)
        for r in repair.refreshActive() { WorkspaceRepair.sweepTemporaries(in: r.runDir) }

        let index = index
        follower = RunFollower(runsDir: layout.runsDir, store: store, interval: followInterval,
                               activeRunIDs: { (try? index.activeRecords().map(\.runID)) ?? [] })
        let scheduler = scheduler, repair = repair
        let ticks = Atomic<Int>(0)
        let syncEvery = max(1, Int((Self.indexSyncInterval / tickInterval).rounded()))
        ticker = PeriodicTask(name: "backtest-rpc workspace tick", interval: tickInterval) {
            scheduler.schedulePass()
            repair.refreshActive()
            // Rarely, and cheaply (a readdir and a query): runs deleted or copied in by hand, or an index
            // another process had to rebuild.
            if index.reopenIfReplaced() || ticks.add(1, ordering: .relaxed).newValue % syncEvery == 0 {
                try? repair.syncIndex()
            }
        }
        requestSchedulingPass()
        warmUpInterpreters()
        scheduler.prepareStandby()
    }

    deinit {
        ticker.stop()
        follower.stop()
    }

    // MARK: submitting

    /// Checks a request, creates the run (directory, `.spec.json`, `run.json` as queued, queue entry) and
    /// asks for a scheduling pass without waiting for it. Nothing is created when the request is refused.
    public func submit(_ req: RunRequest) throws(CoreError) -> RunRecord {
        let scriptsDir = req.scriptsDirOverride.map { PathOps.join(config.root, $0) } ?? config.scriptsDir
        let script = try ScriptResolver.resolve(req.script, scriptsDir: scriptsDir)
        if let t = req.timeoutSeconds, !(t > 0 && t.isFinite) {
            throw .invalidArgument(field: "timeout_s", reason: "must be a positive number of seconds")
        }
        let paramArguments = try RunCommandLine.arguments(params: req.params)
        try RunCommandLine.check(args: req.args, env: req.env)
        let (executable, interpreter) = try command(for: script, named: req.script, cwd: scriptsDir)

        let (runID, createdAt) = try RunIDAllocator.allocate(in: layout.runsDir)
        let paths = layout.run(runID)
        // Held until the queue entry exists: between the record and its entry, the run looks claimed (lock
        // held) rather than abandoned (no entry, lock free) to any process's interruption check.
        let creating = FileLock(path: paths.lock)
        creating?.lock()
        defer { creating?.close() }
        do throws(CoreError) {
            if mkdir(paths.results, 0o755) != 0 && errno != EEXIST {
                throw .workspace(path: paths.results, reason: "cannot create: \(errnoText())")
            }
            let argv = RunCommandLine.argv(interpreter: interpreter, script: script.absolute, paramArguments: paramArguments,
                                           args: req.args, outputDirArg: config.outputDirArg, outputDir: paths.results)
            let env = RunCommandLine.environment(config: config.env, run: req.env, runID: runID, runDir: paths.runDir,
                                                 outputDir: paths.results)
            let timeout = req.timeoutSeconds ?? config.defaultTimeoutSeconds
            let spec = RunSpec(executable: executable, argv: argv, envAdded: env, baseEnv: baseEnv, cwd: scriptsDir,
                               timeoutSeconds: timeout, killGraceSeconds: config.killGraceSeconds, profile: req.profile,
                               scriptPath: script.absolute, workspaceRoot: config.root, inputs: req.inputs,
                               params: req.params, args: req.args)
            // What everyone may see (record, index, notifications): secret-named params and URL passwords
            // masked. The script gets the real values through the spec.
            let redaction = config.redaction
            var record = RunRecord(runID: runID, script: script.relative, params: redaction.redact(params: req.params),
                                   args: redaction.redact(argv: req.args, secretValues: []),
                                   status: .queued, createdAt: createdAt, runDir: paths.runDir, outputDir: paths.results)
            record.serverPID = Int(serverPID)
            record.tags = req.tags
            record.note = req.note
            record.timeoutSeconds = timeout
            record.profile = req.profile
            record.extra = req.extra
            // Spec and record first, queue entry last: whoever sees the entry finds everything it needs.
            try store.saveSpec(spec, paths: paths, sync: false)
            try store.save(record, sync: false)
            let fd = open(layout.queueEntry(runID), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw .workspace(path: layout.queueEntry(runID), reason: "cannot queue the run: \(errnoText())")
            }
            close(fd)
            creating?.close()
            requestSchedulingPass()
            return record
        } catch {
            // Leave no half-made run behind (its dir would show as a run that never existed).
            for f in [paths.record, paths.spec, paths.lock] { unlink(f) }
            rmdir(paths.results)
            rmdir(paths.runDir)
            index.remove(runIDs: [runID])
            throw error
        }
    }

    /// The executable and the argv prefix before the script: the interpreter for the script's extension,
    /// or the script itself when it has none and is executable.
    private func command(for script: ScriptResolver.Resolved, named: String, cwd: String) throws(CoreError) -> (String, [String]) {
        if let cmd = config.interpreters[script.fileExtension], let first = cmd.first {
            switch InterpreterResolver.resolve(first, path: baseEnv["PATH"] ?? "/usr/bin:/bin", cwd: cwd) {
            case .success(let exe): return (exe, [exe] + cmd.dropFirst())
            case .failure:
                // The interpreter is missing; an executable script can still run on its own (its shebang).
                if access(script.absolute, X_OK) == 0 { return (script.absolute, []) }
                throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension)
            }
        }
        guard access(script.absolute, X_OK) == 0 else {
            throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension)
        }
        return (script.absolute, [])
    }

    /// Resolves the configured interpreters in the background, so that the first `run` does not pay the
    /// interpreter probe (~150 ms for a pyenv shim).
    private func warmUpInterpreters() {
        let commands = Set(config.interpreters.values.compactMap(\.first))
        let path = baseEnv["PATH"] ?? "/usr/bin:/bin", cwd = config.scriptsDir
        DispatchQueue.global(qos: .utility).async {
            for c in commands { _ = InterpreterResolver.resolve(c, path: path, cwd: cwd) }
        }
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

    /// A scheduling pass on the caller's thread (supervisors' end-of-run pass goes through `Scheduler`).
    @discardableResult
    public func schedulePass() -> [String] { scheduler.schedulePass() }
}
