import Base
import CSystem
import Dispatch
import Glibc
import JSON
import Synchronization

/// Owns one run from spawn to final record, inside the detached `backtest-rpc supervise` process (see
/// `SupervisorCommand` for how it gets there and its locks). The record is written only by it while the run
/// is running or validating, and its last save happens after every line was written to the log, so a
/// follower that sees a terminal status has already been able to read all lines.
struct RunSupervisor {
    let paths: RunPaths
    let layout: WorkspaceLayout
    /// Makes the hooks. Called once, right after the spawn (or when the run ends without one): whatever
    /// the lead's hooks open (the index, profiles) then never delays the script's start.
    let makeHooks: () -> SupervisorHooks
    let diagnostics: SupervisorDiagnostics
    /// The read end of `SignalWakeup`.
    let wakeFD: Int32
    /// Gives up the slot lock: called once the final record is saved, before `afterEnd`, so that the
    /// scheduling pass in `afterEnd` can hand this slot to the next queued run.
    let releaseSlot: () -> Void
    /// Running as a Slurm job's foreground process: a SIGTERM that is no cancel of ours is Slurm stopping
    /// the job (someone's scancel, its time limit, a preemption), and the run fails rather than being
    /// cancelled (a server then puts Slurm's own verdict in the record: `SlurmReconciler`).
    var inSlurmJob = false

    /// Runs the script described by `spec` for `record` (status queued) to its end.
    func run(record initial: RunRecord, spec: RunSpec) {
        var record = initial
        let token = CancelSignal.token(runID: record.runID)
        let early = SignalWakeup.drain(wakeFD)
        let cancelledEarly = early.contains { $0.stops(token: token) } || (!early.isEmpty && FileSystem.exists(paths.cancelRequest))
        if cancelledEarly {
            // Cancelled between claim and spawn: nothing to stop.
            record.status = .cancelled
            finish(&record, spec: spec, Context(makeHooks(), layout))
            return
        }
        // The launcher normally made it; a run started by hand may not have one.
        mkdir(record.outputDir, 0o755)

        // Before the spawn: the log's existence is what tells a claim that died before its supervisor began
        // (the run goes back to the queue) from a run whose script may have started (`InterruptionCheck`).
        let writer: LogWriter
        do { writer = try LogWriter(paths: paths) } catch {
            fail(&record, spec: spec, .spawnError, "cannot create the run's log: \(error)", Context(makeHooks(), layout))
            return
        }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&out) == 0, csys_pipe_cloexec(&err) == 0 else {
            fail(&record, spec: spec, .spawnError, "cannot create pipes: \(errnoText())", Context(makeHooks(), layout))
            return
        }
        // A 1 MiB pipe instead of 64 KiB: a script that writes in bursts (log_flood writes 350 KB at a time)
        // then rarely waits for us, even when we are descheduled on a busy machine. Best effort.
        for fd in [out[0], err[0]] { _ = fcntl(fd, Self.setPipeSize, Self.pipeSize) }

        let cwdSince = WorkingDirSnapshot.coarseNowNanos()
        let cwdCapture = WorkingDirCapture.applies(cwd: spec.cwd, runDir: paths.runDir)
            ? WorkingDirCapture.begin(cwd: spec.cwd, paths: paths, layout: layout, maxCopyBytes: spec.cwdCopyMaxBytes,
                                      sinceNanos: cwdSince)
            : nil
        let startedAt = ISOTime.nowMillis()
        let start = MonotonicTime.now()
        // In a Slurm job the script gets the job's SLURM_* variables (its id, its CPUs), over any the server had.
        let environment = inSlurmJob ? spec.environment.merging(SlurmJobEnvironment.variables) { _, job in job } : spec.environment
        let spawned = ProcessSpawner.spawn(executable: spec.executable, argv: spec.argv, environment: environment,
                                           cwd: spec.cwd.isEmpty ? nil : spec.cwd, stdout: out[1], stderr: err[1])
        // Our copies of the write ends must go, or the pipes never reach EOF.
        close(out[1]); close(err[1])
        StepTrace.mark("supervisor: script spawned")
        let pid: pid_t
        switch spawned {
        case .failure(let e):
            close(out[0]); close(err[0])
            fail(&record, spec: spec, .spawnError, "cannot start \(spec.executable): \(e)", Context(makeHooks(), layout))
            return
        case .success(let p): pid = p
        }
        // What the final record will be written into if the disk fills up while the script runs: made while
        // the script starts (a create costs 0.1–0.2 ms on some file systems), before the capture writes its
        // first line.
        let unreserved = RecordReserve.make(paths)
        let ctx = Context(makeHooks(), layout)

        record.status = .running
        record.startedAt = startedAt
        record.pid = Int(pid)
        record.supervisorPID = Int(getpid())
        record.failure = nil; record.exitCode = nil; record.signal = nil; record.errorMessage = nil
        if let unreserved { record.warnings.append("no space could be reserved for the final record (\(unreserved))") }

        // The rest of the start, one step after the other on one thread while this one captures: on two
        // cores, the script's own start then competes with one thread of ours, not three.
        let startWarnings = Mutex<[String]>([])
        let earlyEnd = Mutex<EarlyEnd?>(nil)
        let started = DispatchGroup()
        let onStart = ctx.hooks.onStart, prepareEnd = ctx.hooks.prepareEnd, store = ctx.store
        let diagnostics = diagnostics, paths = paths
        let running = record
        DispatchQueue.global().async(group: started) {
            cwdCapture?.watchRest()
            if let prepareEnd {
                let watching = EarlyEnd.start(resultsDir: running.outputDir) { prepareEnd(running, spec) }
                earlyEnd.withLock { $0 = watching }
            }
            var warnings = Self.saveInterim(running, store, diagnostics).map { [$0] } ?? []
            StepTrace.mark("supervisor: running saved")
            // A cancel that came while we were starting found no pid to signal: it left a request, which we
            // read only now that our pid is on record (so one of the two always sees the other).
            if FileSystem.exists(paths.cancelRequest) { CancelSignal.send(to: getpid(), runID: running.runID) }
            // onStart (metadata capture) may take a while; the script's output keeps flowing meanwhile.
            warnings += onStart(running, spec)
            startWarnings.withLock { $0 = warnings }
        }

        let capture = OutputCapture(writer: writer)
        let loop = CaptureLoop(pid: pid, stdout: out[0], stderr: err[0], capture: capture, wakeFD: wakeFD,
                               cancelToken: token, cancelRequest: paths.cancelRequest, timeout: spec.timeoutSeconds, grace: spec.killGraceSeconds)
        let outcome = loop.run(start: start)
        StepTrace.mark("supervisor: script ended")
        // Slurm stops a job by signalling every process of it: the script may die of that SIGTERM before the
        // loop read ours, which is then still in the pipe.
        let lateStop = SignalWakeup.drain(wakeFD).contains { $0.stops(token: token) }
        started.wait()
        record.warnings += startWarnings.withLock { $0 }
        // Every process of the script is gone: what was prepared ahead is used if the files are as it saw them.
        let prepared = earlyEnd.withLock { $0 }?.finish()
        StepTrace.mark("supervisor: start work joined")
        if let c = cwdCapture { record.warnings += c.finish(runID: record.runID, startedAt: startedAt) }
        StepTrace.mark("supervisor: cwd files collected")

        if let s = outcome.waitStatus {
            switch ExitStatus(waitStatus: s) {
            case .exited(let code): record.exitCode = code
            case .signaled(let sig): record.signal = sig
            }
        }
        if outcome.leftBehind > 0 {
            let n = outcome.leftBehind
            record.warnings.append("\(n) process\(n == 1 ? "" : "es") left behind by the script \(n == 1 ? "was" : "were") stopped")
        }
        if outcome.pipesAbandoned {
            record.warnings.append("the script's output was still held open by a process outside its process group; capture stopped")
        }
        record.logLinesLost = writer.loss.lines
        if let lost = writer.loss.warning { record.warnings.append(lost) }

        // In a Slurm job, a stop signal is ours (a cancel, with its request file) or Slurm's; either way it,
        // not the script's own exit status, says how the run ended.
        let slurmStop = inSlurmJob && (outcome.stop == .cancelled || lateStop)
        switch outcome.stop {
        case _ where slurmStop && FileSystem.exists(paths.cancelRequest):
            record.status = .cancelled
        case _ where slurmStop:
            record.status = .failed
            record.failure = .interrupted
            record.errorMessage = Self.stoppedBySlurm
        case .cancelled:
            record.status = .cancelled
        case .timedOut:
            record.status = .failed
            record.failure = .timeout
            record.errorMessage = "timed out after \(Self.seconds(spec.timeoutSeconds ?? 0)) s"
        case .leftovers, nil:
            conclude(&record, spec: spec, lastStderr: capture.lastStderrLine, prepared: prepared, ctx)
        }
        finish(&record, spec: spec, prepared: prepared, ctx)
    }

    /// The script ended by itself: validate, then decide completed or failed.
    private func conclude(_ record: inout RunRecord, spec: RunSpec, lastStderr: [UInt8], prepared: PreparedEnd?,
                          _ ctx: Context) {
        record.status = .validating
        let store = ctx.store, validating = record, diagnostics = diagnostics
        let interim = DelayedSave(after: Self.validatingSaveDelay) { _ = Self.saveInterim(validating, store, diagnostics) }
        // The metrics read the same files as validation but need nothing from it: on another core meanwhile
        // (the script's is free now).
        let metrics = Mutex<JSONObject>([:])
        let analysed = DispatchGroup()
        if record.exitCode == 0 {
            let analyse = ctx.hooks.analyse
            DispatchQueue.global().async(group: analysed) {
                let m = analyse(validating, spec, prepared)
                metrics.withLock { $0 = m }
            }
        }
        let v = ctx.hooks.validate(record, spec, prepared)
        interim.cancel()
        StepTrace.mark("supervisor: validated")
        if !v.report.isNull { record.validation = v.report }
        if record.exitCode == 0 {
            analysed.wait()
            for (name, value) in metrics.withLock({ $0 }) { record.extra[name] = value }
            StepTrace.mark("supervisor: metrics computed")
            if v.valid {
                record.status = .completed
            } else {
                record.status = .failed
                record.failure = .validation
                let first = v.errors.prefix(3).joined(separator: "; ")
                record.errorMessage = "validation failed" + (first.isEmpty ? "" : ": " + first)
            }
            return
        }
        record.status = .failed
        record.failure = .exitCode
        if let sig = record.signal {
            record.errorMessage = "killed by signal \(sig)"
        } else if let code = record.exitCode {
            let last = String(decoding: lastStderr, as: UTF8.self)
            record.errorMessage = "exited with code \(code)" + (last.isEmpty ? "" : ": " + last)
            if let hint = RunCommandLine.refusedOutputDirHint(exitCode: code, lastStderr: last, outputDirArg: spec.outputDirArg) {
                record.errorMessage! += "; " + hint
            }
        } else {
            record.errorMessage = "the script could not be reaped after SIGKILL"
        }
    }

    private func fail(_ record: inout RunRecord, spec: RunSpec, _ reason: FailureReason, _ message: String, _ ctx: Context) {
        diagnostics.write(message)
        record.status = .failed
        record.failure = reason
        record.errorMessage = message
        finish(&record, spec: spec, ctx)
    }

    /// The final save (last: every line is already in the log), then the slot is freed and `afterEnd` runs.
    private func finish(_ record: inout RunRecord, spec: RunSpec, prepared: PreparedEnd? = nil, _ ctx: Context) {
        record.completedAt = ISOTime.nowMillis()
        record.supervisorPID = Int(getpid())
        record.warnings += ctx.hooks.beforeEnd(record, spec, prepared)
        StepTrace.mark("supervisor: cache entry and metadata written")
        saveFinal(&record, ctx)
        StepTrace.mark("supervisor: final record saved")
        releaseSlot()
        let warnings = ctx.hooks.afterEnd(record, spec)
        if !warnings.isEmpty {
            // afterEnd may have amended the record on disk (a rerun's reproduction check): add to that.
            if let fresh = try? ctx.store.load(paths: paths) { record = fresh }
            record.warnings += warnings
            try? ctx.store.save(record)  // the final record again: synced like it
        }
    }

    /// A save while the run goes on. One that fails (a full disk) costs followers an interim status, never
    /// the run: it goes on, and the final record says what could not be saved. Not synced (each fsync is
    /// ~0.4 ms on the path of every run): what a power cut can take is an interim status of a run that the
    /// cut interrupted anyway; the final record, which says how the run ended, is synced. Returns the warning
    /// for the final record when it failed. Static: it runs on other threads (the rest of the start, the
    /// delayed `validating`).
    private static func saveInterim(_ record: RunRecord, _ store: RunStore, _ diagnostics: SupervisorDiagnostics) -> String? {
        do { try store.save(record, sync: false) } catch {
            diagnostics.write("cannot save the record: \(error)")
            return "run.json could not be updated to \(record.status.rawValue) (\(RecordReserve.reason(error)))"
        }
        return nil
    }

    /// The final record must land, or the run would end up interrupted and its exit code lost: through the
    /// reserve when the disk is full, and when even that is impossible (no reserve could be made), retried
    /// for a while in case space comes back.
    private func saveFinal(_ record: inout RunRecord, _ ctx: Context) {
        let giveUpAt = MonotonicTime.now() + Self.finalSaveRetrySeconds
        while true {
            do {
                if case .fromReserve(let reason) = try RecordReserve.save(&record, store: ctx.store) {
                    diagnostics.write("the final record was written into its reserve (\(reason))")
                }
                return
            } catch {
                // A run dir deleted under us is no disk to wait for.
                guard MonotonicTime.now() < giveUpAt, FileSystem.isDirectory(paths.runDir) else {
                    diagnostics.write("cannot save the final record: \(error)")
                    return
                }
                MonotonicTime.sleep(Self.finalSaveRetryInterval)
            }
        }
    }

    /// The hooks, once made, and the store that refreshes their index.
    struct Context {
        let hooks: SupervisorHooks
        let store: RunStore

        init(_ hooks: SupervisorHooks, _ layout: WorkspaceLayout) {
            self.hooks = hooks
            store = RunStore(layout: layout, index: hooks.index)
        }
    }

    /// The message of a run whose Slurm job was stopped by Slurm, until a server has Slurm's own word for it.
    static let stoppedBySlurm = "stopped by Slurm (SIGTERM to the job: a scancel, its time limit or a preemption)"

    /// How long validation runs before its status is saved (`DelayedSave`).
    static let validatingSaveDelay = 0.02

    /// How long a final record that cannot be written at all is retried, and how often.
    static let finalSaveRetrySeconds = 60.0
    static let finalSaveRetryInterval = 0.25

    /// F_SETPIPE_SZ (Linux), not exported by Glibc's module map.
    static let setPipeSize: Int32 = 1031
    static let pipeSize: Int32 = 1 << 20

    /// `5`, `0.5`: a number of seconds as a person writes it.
    static func seconds(_ s: Double) -> String {
        s.rounded() == s && abs(s) < 1e9 ? String(Int(s)) : String(s)
    }
}
