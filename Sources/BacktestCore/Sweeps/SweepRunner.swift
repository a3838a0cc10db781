import Base
import Dispatch
import Glibc
import JSON
import Synchronization

/// Creates sweeps and their runs. The `sweep` answer waits only for the sweep's record and its first run
/// (which checks the script, its interpreter and the cache the way `run` does); the other runs are created
/// after, in order, on one background queue, each queued as it is made so that the workspace's
/// `max_parallel` starts them while the rest are still being made. A server that opens the workspace
/// finishes a sweep whose creator died half-way (a sweep's lock file says whether someone is on it).
///
/// Until its run exists, a run of a sweep reads as queued (or cancelled, once the sweep is): every id the
/// answer gave is a run a client can ask about at once.
final class SweepRunner: Sendable {
    let layout: WorkspaceLayout
    let submission: RunSubmission
    /// Asks the workspace for a scheduling pass (runs were queued).
    let queued: @Sendable () -> Void
    /// Cancels a queued run (one made while its sweep was being cancelled).
    let cancelQueued: @Sendable (String) -> Void
    private let known = Mutex<[String: SweepRecord]>([:])
    private let queue = DispatchQueue(label: "backtest-rpc.sweeps")
    /// Runs queued between two scheduling requests while a sweep is being made.
    static let passEvery = 8

    init(layout: WorkspaceLayout, submission: RunSubmission, queued: @escaping @Sendable () -> Void,
         cancelQueued: @escaping @Sendable (String) -> Void) {
        self.layout = layout; self.submission = submission; self.queued = queued; self.cancelQueued = cancelQueued
    }

    /// Makes the sweep, its record and its first run; the others follow in the background.
    func create(_ plan: SweepPlan, template: RunRequest, rankBy: String?) throws(CoreError) -> (SweepRecord, RunRecord) {
        let sets = try plan.expand()
        for (i, set) in sets.enumerated() {
            do { _ = try RunCommandLine.arguments(params: set) } catch {
                throw .invalidArgument(field: "param set \(i + 1)", reason: "\(error)")
            }
        }
        try CoreError.workspaceFile(layout.sweepsDir) { () throws(FileError) in try FileSystem.makeDirectories(layout.sweepsDir) }
        let sweepID = try allocateID()
        let sweep = SweepRecord(sweepID: sweepID, script: template.script, createdAt: ISOTime.nowMillis(), rankBy: rankBy,
                                template: RunRequestTemplate.json(template), paramSets: sets)
        try CoreError.workspaceFile(layout.sweep(sweepID)) { () throws(FileError) in
            try AtomicFile.write(JSONWriter.encode(sweep.json(), numbersAsWritten: true), to: layout.sweep(sweepID), mode: 0o600)
        }
        let first: RunRecord
        do { first = try submission.submit(request(sweep, 0)) } catch {
            unlink(layout.sweep(sweepID))
            throw error
        }
        known.withLock { $0[sweepID] = sweep }
        if sweep.total > 1 { queue.async { self.materialize(sweep) } }
        return (sweep, first)
    }

    /// The sweep's record; `sweepNotFound` when there is none.
    func load(_ sweepID: String) throws(CoreError) -> SweepRecord {
        if let s = known.withLock({ $0[sweepID] }) { return s }
        let s = try read(sweepID)
        known.withLock { $0[sweepID] = s }
        return s
    }

    /// The sweep's record from its file.
    private func read(_ sweepID: String) throws(CoreError) -> SweepRecord {
        guard SweepRecord.isValidID(sweepID), let bytes = AtomicFile.read(layout.sweep(sweepID)),
              let v = try? JSONParser.parse(bytes, keepingNumberText: true), let s = SweepRecord(json: v) else {
            throw .sweepNotFound(sweepID: sweepID)
        }
        return s
    }

    /// Stops making the sweep's runs: those not yet made read as cancelled from now on.
    func cancel(_ sweepID: String) {
        // Under the making lock: a run being made is made whole first (its record and queue entry), so the
        // look at the sweep's runs that follows finds it queued and cancels it; none is begun after. Without
        // it, a run made in between read as cancelled (not made yet) and then, for a moment, as queued.
        let making = FileLock(path: makingLock(sweepID))
        making?.lock()
        defer { making?.close() }
        let fd = open(cancelMarker(sweepID), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd >= 0 { close(fd) }
    }

    /// Runs made by `rerun {sweep_id}`, which belong to the sweep but to none of its param-set ids.
    func reruns(_ sweepID: String) -> [String] { lines(rerunsFile(sweepID)) }

    func addRerun(_ runID: String, to sweepID: String) { append([runID], to: rerunsFile(sweepID)) }

    private func rerunsFile(_ sweepID: String) -> String { layout.sweepsDir + "/" + sweepID + ".reruns" }

    func isCancelled(_ sweepID: String) -> Bool { access(cancelMarker(sweepID), F_OK) == 0 }

    /// A run of a sweep that is not made yet (or being made: its dir exists, its record not yet), as it reads
    /// until it is; nil when the id is no such run.
    func pendingRecord(_ runID: String) -> RunRecord? {
        guard let sweepID = SweepRecord.sweepID(ofRun: runID), let sweep = try? load(sweepID),
              let i = sweep.index(of: runID), !FileSystem.exists(layout.run(runID).record),
              !deleted(sweepID).contains(runID) else { return nil }
        let paths = layout.run(runID)
        var r = RunRecord(runID: runID, script: sweep.script, params: submission.config.redaction.redact(params: sweep.paramSets[i]),
                          status: isCancelled(sweepID) ? .cancelled : .queued, createdAt: sweep.createdAt,
                          runDir: paths.runDir, outputDir: paths.results)
        r.sweepID = sweepID
        return r
    }

    /// Finishes every sweep whose runs are not all made and that no other process is making. Only the sweeps
    /// there now (a sweep this process creates later is made by its own creator), read in the background: a
    /// workspace of many sweeps, each record holding its param sets, must not slow the open, and the sweeps
    /// already made are read, not kept.
    func resumeAll() {
        guard let names = FileSystem.entries(layout.sweepsDir) else { return }
        queue.async { [self] in
            for name in names where name.hasSuffix(".json") {
                guard let sweep = try? read(String(name.dropLast(5))), !isCancelled(sweep.sweepID),
                      !isMade(sweep, sweep.total - 1) else { continue }
                known.withLock { $0[sweep.sweepID] = sweep }
                materialize(sweep)
            }
        }
    }

    /// Makes the runs of `sweep` that do not exist yet, in order, under the sweep's lock (one maker at a time
    /// across processes; a second one finds the lock taken and leaves it to the first).
    private func materialize(_ sweep: SweepRecord) {
        guard let lock = FileLock(path: layout.sweepsDir + "/" + sweep.sweepID + ".lock"), lock.tryLock() else { return }
        defer { lock.close() }
        var made = 0
        let gone = deleted(sweep.sweepID)
        for i in 0..<sweep.total where !isMade(sweep, i) && !gone.contains(sweep.runID(i)) {
            // Each run is made under the making lock, which `cancel` takes to mark the sweep cancelled.
            let making = FileLock(path: makingLock(sweep.sweepID))
            making?.lock()
            defer { making?.close() }
            if isCancelled(sweep.sweepID) { break }
            let paths = layout.run(sweep.runID(i))
            if FileSystem.exists(paths.runDir) {
                // A dir without a record: being made (its maker holds the run lock until the run is queued),
                // or half made by a process that died in the middle: then start it again.
                guard let lock = FileLock(path: paths.lock), lock.tryLock() else { continue }
                lock.close()
                FileSystem.removeTree(paths.runDir)
            }
            do { _ = try submission.submit(request(sweep, i)) } catch {
                RunIndex.warn("sweep \(sweep.sweepID): run \(sweep.runID(i)) could not be created: \(error)")
            }
            // Marked cancelled without the making lock (a server of an older build) while this run was being
            // made: that cancel may have looked before it existed.
            if isCancelled(sweep.sweepID) { cancelQueued(sweep.runID(i)); break }
            made += 1
            if made % Self.passEvery == 0 { queued() }
        }
        queued()
    }

    /// Whether run `i` exists: its record is there (its dir alone may be a run being made, or half made).
    private func isMade(_ sweep: SweepRecord, _ i: Int) -> Bool {
        FileSystem.exists(layout.run(sweep.runID(i)).record)
    }

    /// Runs of the sweep that `delete` removed: never made again, never read as pending.
    func deleted(_ sweepID: String) -> Set<String> { Set(lines(layout.sweepsDir + "/" + sweepID + ".deleted")) }

    func addDeleted(_ runIDs: [String], to sweepID: String) {
        append(runIDs, to: layout.sweepsDir + "/" + sweepID + ".deleted")
    }

    private func lines(_ path: String) -> [String] {
        guard let bytes = AtomicFile.read(path) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Appends lines with one write (O_APPEND): the lines of two processes never interleave.
    private func append(_ items: [String], to path: String) {
        guard !items.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(items.map { $0 + "\n" }.joined().utf8)
        _ = bytes.withUnsafeBytes { AtomicFile.writeAll(fd, $0) }
    }

    private func request(_ sweep: SweepRecord, _ i: Int) -> RunRequest {
        var r = RunRequestTemplate.request(sweep.template, params: sweep.paramSets[i])
        r.runID = sweep.runID(i)
        r.extra["sweep_id"] = .string(sweep.sweepID)
        return r
    }

    private func cancelMarker(_ sweepID: String) -> String { layout.sweepsDir + "/" + sweepID + ".cancelled" }
    private func makingLock(_ sweepID: String) -> String { layout.sweepsDir + "/" + sweepID + ".making" }

    /// `sweep_` and a run id's form (`RunIDAllocator.name`), made unique by creating its record file
    /// exclusively (a clash takes the next suffix).
    private func allocateID() throws(CoreError) -> String {
        let millis = ISOTime.nowMillis()
        for suffix in 0...999 {
            let id = SweepRecord.idPrefix + RunIDAllocator.name(millis: millis, suffix: suffix)
            let fd = open(layout.sweep(id), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd); return id }
            guard errno == EEXIST else { throw .workspace(path: layout.sweep(id), reason: errnoText()) }
        }
        throw .workspace(path: layout.sweepsDir, reason: "no free sweep id this millisecond")
    }
}
