import Base
import Glibc
import Synchronization

/// Finds runs whose record says a process is looking after them when none is, and ends them as
/// `failed` / `interrupted`. The evidence is a lock, never a timestamp: a running or validating run's
/// supervisor holds `<run_dir>/.lock` for as long as it lives, and the kernel drops it when it dies (even by
/// SIGKILL or the OOM killer). Whoever can take that lock knows the supervisor is gone; while holding it, it
/// kills what is left of the run's process group and writes the final record.
///
/// The interrupted record is saved like a supervisor's final record (`RecordReserve`: through the space the
/// dead supervisor reserved, when the disk is full). When it cannot be saved at all, it is still what every
/// answer says (a run whose supervisor is gone is never reported running), and saving it is retried on
/// every look and every periodic tick until it works.
struct InterruptionCheck: Sendable {
    let layout: WorkspaceLayout
    let store: RunStore
    /// Interrupted records decided but not saved yet, by run id.
    let unwritten = Unwritten()

    /// The record as it truly is now: `record` itself when nothing is wrong, else the re-read or the
    /// interrupted record. Cheap for runs that need no supervisor (no system call at all).
    func check(_ record: RunRecord) -> RunRecord {
        let paths = layout.run(record.runID)
        // A run handed to Slurm: its supervisor's lock may be on another machine; Slurm's view and the
        // heartbeat tell instead (`SlurmReconciler`).
        if !record.status.isTerminal, FileSystem.exists(paths.slurmJob) { return record }
        switch record.status {
        case .running, .validating:
            guard let lock = FileLock.tryAcquire(paths.lock) else { return record }  // supervised
            defer { lock.close() }
            return interruptIfStillActive(paths: paths, fallback: record,
                                          why: "the run's supervisor (pid \(record.supervisorPID.map(String.init) ?? "?")) died before the run ended")
        case .queued:
            // A queued run is either waiting (its queue entry exists) or claimed (its entry was removed and a
            // supervisor holds its lock). Neither, under sched.lock: the supervisor died before writing.
            if FileSystem.exists(layout.queueEntry(record.runID)) { return record }
            guard let sched = FileLock(path: layout.schedulerLock) else { return record }
            sched.lock()
            defer { sched.close() }
            if FileSystem.exists(layout.queueEntry(record.runID)) { return record }
            guard let lock = FileLock.tryAcquire(paths.lock) else { return record }  // claimed, starting
            defer { lock.close() }
            // No log: no supervisor ever began it (a supervisor makes the log before it starts the script).
            // The process that claimed it died before handing it over: the run goes back to the queue.
            if !FileSystem.exists(paths.log), let back = requeue(paths: paths) { return back }
            return interruptIfStillActive(paths: paths, fallback: record,
                                          why: "the run's supervisor exited before it started the script")
        case .completed, .failed, .cancelled:
            return record
        }
    }

    /// With `sched.lock` and the run lock held: a run still queued gets its queue entry back (the next
    /// scheduling pass starts it). Nil when it is no longer queued.
    private func requeue(paths: RunPaths) -> RunRecord? {
        guard let fresh = try? store.load(paths: paths), fresh.status == .queued else { return nil }
        let fd = open(layout.queueEntry(fresh.runID), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        close(fd)
        return fresh
    }

    /// With the run lock held: re-reads the record (the supervisor may have written its final record just
    /// before exiting) and ends it as interrupted if it is still active.
    func interruptIfStillActive(paths: RunPaths, fallback: RunRecord, why: String) -> RunRecord {
        let id = paths.runID
        guard var fresh = try? store.load(paths: paths) else {
            if !FileSystem.isDirectory(paths.runDir) { unwritten.remove(id) }
            return unwritten[id] ?? fallback
        }
        guard !fresh.status.isTerminal else {
            unwritten.remove(id)
            return fresh
        }
        if fresh.status == .queued, FileSystem.exists(layout.queueEntry(fresh.runID)) { return fresh }
        // Decided before and not saved yet: the same record again, not a new end time and message.
        if let pending = unwritten[id] { return save(pending) }
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
        return save(fresh)
    }

    /// Saves the interrupted records that could not be saved before (called on every periodic tick, and
    /// before `list` and `health` answer). A run whose lock is held is being looked at by someone else.
    func retryUnwritten() {
        for record in unwritten.all {
            let paths = layout.run(record.runID)
            guard let lock = FileLock.tryAcquire(paths.lock) else { continue }
            defer { lock.close() }
            _ = interruptIfStillActive(paths: paths, fallback: record, why: record.errorMessage ?? "")
        }
    }

    /// A page of the index with the interrupted records that could not be saved in place of their rows: on
    /// a full disk the index could not be written either and may still say running. Runs that no longer
    /// match the `statuses` asked for leave the page.
    func answering(_ page: (total: Int, runs: [RunRecord]), statuses: [RunStatus]?) -> (total: Int, runs: [RunRecord]) {
        guard !unwritten.isEmpty else { return page }
        var total = page.total
        var runs: [RunRecord] = []
        for row in page.runs {
            let now = unwritten[row.runID] ?? row
            if let statuses, !statuses.contains(now.status) { total -= 1; continue }
            runs.append(now)
        }
        return (total, runs)
    }

    /// Saves an interrupted record; when it cannot be saved, keeps it for `retryUnwritten` and puts it in the
    /// index (when that can be written), so that `list` and `health` agree with `status` meanwhile.
    private func save(_ record: RunRecord) -> RunRecord {
        var saved = record
        do {
            _ = try RecordReserve.save(&saved, store: store)
            unwritten.remove(saved.runID)
        } catch {
            unwritten.keep(saved)
            store.index?.upsert(saved)
        }
        return saved
    }

    /// Records decided but not saved, shared by the copies of the check (it is a value type).
    final class Unwritten: Sendable {
        private let records = Mutex<[String: RunRecord]>([:])

        subscript(runID: String) -> RunRecord? { records.withLock { $0[runID] } }
        var all: [RunRecord] { records.withLock { Array($0.values) } }
        var isEmpty: Bool { records.withLock { $0.isEmpty } }
        func keep(_ record: RunRecord) { records.withLock { $0[record.runID] = record } }
        func remove(_ runID: String) { _ = records.withLock { $0.removeValue(forKey: runID) } }
    }
}
