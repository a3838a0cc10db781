import Glibc

/// Changing runs: cancelling them, and amending ended ones (validation, reports, rerun results).
extension Workspace {
    /// How long `cancel` waits for a just-claimed run's supervisor to record its pid.
    static let claimWait = 5.0

    /// Cancels a run. A queued run is cancelled at once (under `sched.lock`, so no pass claims it meanwhile).
    /// A running or validating run's supervisor gets SIGTERM, stops the whole process group (SIGKILL after
    /// the grace period) and writes `cancelled` itself; the record returned is the current one, and the
    /// final status follows as a status event. A run that has ended: `runFinished`.
    public func cancel(runID: String) throws(CoreError) -> RunRecord {
        let deadline = MonotonicTime.now() + Self.claimWait
        while true {
            let r = try record(runID: runID)
            if r.status.isTerminal { throw .runFinished(runID: runID, status: r.status) }
            if r.status == .queued, let cancelled = try cancelQueued(runID) { return cancelled }
            if r.status.needsSupervisor, let pid = r.supervisorPID, pid > 1 {
                // `record` just found the run lock held, so the supervisor lived a moment ago.
                if kill(pid_t(pid), SIGTERM) == 0 || errno != ESRCH { return r }
            }
            // Claimed but the supervisor has not written its pid yet (or has just exited): look again.
            guard MonotonicTime.now() < deadline else {
                throw .workspace(path: layout.run(runID).record, reason: "the run's supervisor did not start in time; try again")
            }
            MonotonicTime.sleep(0.005)
        }
    }

    /// Cancels a run still waiting in the queue; nil when it is no longer waiting (a pass claimed it).
    private func cancelQueued(_ runID: String) throws(CoreError) -> RunRecord? {
        guard let sched = FileLock(path: layout.schedulerLock) else {
            throw .workspace(path: layout.schedulerLock, reason: "cannot open: \(errnoText())")
        }
        sched.lock()
        defer { sched.close() }
        let entry = layout.queueEntry(runID)
        guard PathOps.exists(entry) else { return nil }
        // The run lock too, so that an interruption check never sees it queued without an entry.
        guard let lock = FileLock.tryAcquire(layout.run(runID).lock) else { return nil }
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
}
