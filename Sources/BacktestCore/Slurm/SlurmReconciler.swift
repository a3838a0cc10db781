import Base
import Glibc
import JSON

/// Keeps a workspace's Slurm runs true to Slurm, from a server: for every run in flight (`slurm-jobs/`) it
/// asks Slurm about the job (one `squeue` for all, `scontrol` for the ones it no longer lists), keeps what
/// Slurm said in the run dir (`.slurm.json`: state, reason, node; shown by `status`), and once the job has
/// ended, settles the run and counts it out of `max_jobs`.
///
/// Only a supervisor's own final record ever says `completed`. A job that ended, or that Slurm no longer
/// knows, while the record still says queued or running becomes `failed` (`timeout` for Slurm's time limit,
/// `interrupted` otherwise) with Slurm's state in the message, or `cancelled` when the run was cancelled
/// through us. "Slurm no longer knows the job" is never read as success. When Slurm cannot be asked at all
/// (controller down), nothing is decided.
struct SlurmReconciler {
    let layout: WorkspaceLayout
    let store: RunStore
    let settings: SlurmSettings
    var cli = SlurmCLI()

    /// One look at every run in flight. Returns how many runs it settled.
    @discardableResult
    func reconcile() -> Int {
        let inFlight = (FileSystem.entries(layout.slurmJobsDir) ?? []).filter { !$0.hasPrefix(".") }
        guard !inFlight.isEmpty else { return 0 }
        var jobOf: [String: String] = [:]
        for runID in inFlight {
            jobOf[runID] = AtomicFile.read(layout.slurmJob(runID)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        let ids = jobOf.values.filter(SlurmJobMark.isJobID)
        guard let listed = cli.jobs(Array(Set(ids)).sorted()) else { return 0 }  // Slurm cannot be asked
        var settled = 0
        for (runID, jobID) in jobOf.sorted(by: { $0.key < $1.key }) {
            let paths = layout.run(runID)
            guard FileSystem.isDirectory(paths.runDir) else { unlink(layout.slurmJob(runID)); continue }  // deleted
            guard SlurmJobMark.isJobID(jobID) else {
                if recoverSubmission(runID, paths) { settled += 1 }
                continue
            }
            var view = listed[jobID]
            if view == nil {
                switch cli.show(jobID) {
                case .success(let v): view = v
                case .failure: continue
                }
            }
            guard let view else {
                if settle(paths, SlurmJobView(jobID: jobID, state: "UNKNOWN", reason: nil, node: nil), unknown: true) {
                    unlink(layout.slurmJob(runID)); settled += 1
                }
                continue
            }
            keepView(paths, view)
            if view.hasEnded, settle(paths, view, unknown: false) {
                unlink(layout.slurmJob(runID)); settled += 1
            }
        }
        return settled
    }

    /// A run still marked `submitting` a minute after it was: the process that asked sbatch died before it
    /// wrote the job id. The job is found by its name (`bt-<run_id>`) and adopted, or, when Slurm has none,
    /// the run never reached the cluster and fails (it would otherwise hold a place of `max_jobs` for ever).
    /// True when the run was settled.
    private func recoverSubmission(_ runID: String, _ paths: RunPaths) -> Bool {
        guard let marked = FileSystem.fingerprint(layout.slurmJob(runID))?.mtimeNanos,
              Double(ISOTime.nowMillis()) / 1000 - Double(marked) / 1e9 > Self.submissionGraceSeconds,
              let ids = cli.jobIDs(named: "bt-" + runID) else { return false }
        // A job that started says its id in the record (its supervisor wrote it), whatever its name.
        let started = (try? store.load(paths: paths))?.extra["executor"]?["job_id"].stringValue
        if let id = started ?? ids.last {
            SlurmJobMark.write(id, runID: runID, layout: layout)
            return false
        }
        guard let lock = FileLock.tryAcquire(paths.lock) else { return false }
        defer { lock.close() }
        if var record = try? store.load(paths: paths), record.status == .queued {
            record.failBeforeStart("the run never reached Slurm: the process submitting it stopped during sbatch, and Slurm has no job bt-\(runID)")
            try? store.save(record)
        }
        // Both marks, as for any submission that failed (`Scheduler.failSubmission`): the run never became a
        // job, and its own dir must not go on saying `submitting`.
        SlurmJobMark.remove(runID: runID, layout: layout)
        return true
    }

    /// How long a submission may take before it counts as abandoned.
    static let submissionGraceSeconds = 60.0

    /// What Slurm said, for `status` (only when it changed: a write per run per poll would be wasteful).
    private func keepView(_ paths: RunPaths, _ view: SlurmJobView) {
        let bytes = JSONWriter.encode(view.json)
        if AtomicFile.read(paths.slurmView) == bytes { return }
        try? AtomicFile.write(bytes, to: paths.slurmView, sync: false)
    }

    /// The job is over for Slurm: ends the run if its supervisor did not, or puts Slurm's verdict in a
    /// run the supervisor ended as stopped by Slurm. False: not now (its supervisor still holds the run, or
    /// its last heartbeat is too recent for its final record not to be on its way).
    private func settle(_ paths: RunPaths, _ view: SlurmJobView, unknown: Bool) -> Bool {
        guard let lock = FileLock.tryAcquire(paths.lock) else { return false }
        defer { lock.close() }
        guard var record = try? store.load(paths: paths) else { return true }
        if record.status.isTerminal {
            guard !unknown, record.status == .failed, Self.endedByASlurmSignal(record) else { return true }
            let verdict = view.outcome(cancelRequested: false)
            record.failure = verdict.failure
            record.errorMessage = "stopped by Slurm: " + verdict.message
            try? store.save(record)
            return true
        }
        // A supervisor that beat recently may have written its final record where we cannot see it yet (a
        // shared file system's attribute cache): wait two beats past its last.
        if let beat = FileSystem.fingerprint(paths.heartbeat)?.mtimeNanos,
           Double(ISOTime.nowMillis()) / 1000 - Double(beat) / 1e9 < 2 * settings.heartbeatSeconds { return false }
        let verdict = unknown
            ? (status: RunStatus.failed, failure: FailureReason?.some(.interrupted),
               message: "Slurm no longer knows job \(view.jobID), and its supervisor wrote no final record")
            : view.outcome(cancelRequested: FileSystem.exists(paths.cancelRequest))
        record.status = verdict.status
        record.failure = verdict.failure
        record.errorMessage = verdict.message + (verdict.status == .cancelled ? "" : "; its supervisor wrote no final record")
        record.completedAt = ISOTime.nowMillis()
        var saved = record
        _ = try? RecordReserve.save(&saved, store: store)
        return true
    }

    /// A run its supervisor ended as stopped by Slurm, or whose script died of the SIGTERM Slurm sends every
    /// process of a job it stops (before the supervisor could tell): Slurm's final state says why.
    static func endedByASlurmSignal(_ r: RunRecord) -> Bool {
        r.errorMessage == RunSupervisor.stoppedBySlurm || (r.failure == .exitCode && r.signal == Int(SIGTERM))
    }

    /// A record as `status` shows it: for a run handed to Slurm, `executor` with the job id, and while the
    /// run is not over, what Slurm last said of the job (state, reason: why it waits, or that it is suspended).
    static func shown(_ record: RunRecord, paths: RunPaths) -> RunRecord {
        guard let job = SlurmJobMark.read(paths) else { return record }
        var executor = record.extra["executor"]?.objectValue ?? ["kind": "slurm"]
        if executor["job_id"] == nil, SlurmJobMark.isJobID(job) { executor["job_id"] = .string(job) }
        if !record.status.isTerminal, let bytes = AtomicFile.read(paths.slurmView),
           let view = try? JSONParser.parse(bytes), let o = view.objectValue {
            for key in ["state", "reason", "node"] { if let v = o[key], !v.isNull { executor[key] = v } }
        }
        var r = record
        r.extra["executor"] = .object(executor)
        return r
    }
}
