import Glibc

/// Finds runs whose record says a process is looking after them when none is, and ends them as
/// `failed` / `interrupted`. The evidence is a lock, never a timestamp: a running or validating run's
/// supervisor holds `<run_dir>/.lock` for as long as it lives, and the kernel drops it when it dies (even by
/// SIGKILL or the OOM killer). Whoever can take that lock knows the supervisor is gone; while holding it, it
/// kills what is left of the run's process group and writes the final record.
struct InterruptionCheck: Sendable {
    let layout: WorkspaceLayout
    let store: RunStore

    /// The record as it truly is now: `record` itself when nothing is wrong, else the re-read or the
    /// interrupted record. Cheap for runs that need no supervisor (no system call at all).
    func check(_ record: RunRecord) -> RunRecord {
        let paths = layout.run(record.runID)
        switch record.status {
        case .running, .validating:
            guard let lock = FileLock.tryAcquire(paths.lock) else { return record }  // supervised
            defer { lock.close() }
            return interruptIfStillActive(paths: paths, fallback: record,
                                          why: "the run's supervisor (pid \(record.supervisorPID.map(String.init) ?? "?")) died before the run ended")
        case .queued:
            // A queued run is either waiting (its queue entry exists) or claimed (its entry was removed and a
            // supervisor holds its lock). Neither, under sched.lock: the supervisor died before writing.
            if PathOps.exists(layout.queueEntry(record.runID)) { return record }
            guard let sched = FileLock(path: layout.schedulerLock) else { return record }
            sched.lock()
            defer { sched.close() }
            if PathOps.exists(layout.queueEntry(record.runID)) { return record }
            guard let lock = FileLock.tryAcquire(paths.lock) else { return record }  // claimed, starting
            defer { lock.close() }
            return interruptIfStillActive(paths: paths, fallback: record,
                                          why: "the run's supervisor exited before it started the script")
        case .completed, .failed, .cancelled:
            return record
        }
    }

    /// With the run lock held: re-reads the record (the supervisor may have written its final record just
    /// before exiting) and ends it as interrupted if it is still active.
    func interruptIfStillActive(paths: RunPaths, fallback: RunRecord, why: String) -> RunRecord {
        guard var fresh = try? store.load(paths: paths) else { return fallback }
        guard !fresh.status.isTerminal else { return fresh }
        if fresh.status == .queued, PathOps.exists(layout.queueEntry(fresh.runID)) { return fresh }
        var message = why
        if let pid = fresh.pid, pid > 1 {
            let left = ProcessGroup.members(pgid: Int32(pid))
            if !left.isEmpty {
                ProcessGroup.kill(pgid: Int32(pid))
                message += "; killed \(left.count) process\(left.count == 1 ? "" : "es") left in its process group"
            }
        }
        fresh.status = .failed
        fresh.failure = .interrupted
        fresh.completedAt = ISOTime.nowMillis()
        fresh.errorMessage = message
        do { try store.save(fresh) } catch { return fallback }
        return fresh
    }
}
