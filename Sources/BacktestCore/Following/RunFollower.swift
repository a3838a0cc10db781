import Base
import Foundation
import Synchronization

/// Follows runs live for one Workspace, whichever process started them: one watcher thread per Workspace
/// that, every `interval` (or at once when asked), reads the new lines of each followed run with a
/// `LogTailer` and notices status changes by `stat`-ing `run.json` (re-read only when its mtime, inode or
/// size moved). Plain polling: ~20 ms is the latency the protocol promises anyway, a tick costs two stats
/// per followed run, and it works the same for runs of other processes and on every file system.
///
/// Guarantees, per follower and run:
/// - every line is delivered, in order, before a terminal status (the supervisor writes its final record
///   only after the last line reached the log, and the watcher drains the log after seeing that record);
/// - at most one progress event per tick (the latest line that parses);
/// - lines are read at disk speed whatever the handler does with them (dropping is the server's business).
///
/// Handlers run on the watcher thread, one event at a time; they must not block for long.
final class RunFollower: Sendable {
    /// Lines per `.lines` event.
    static let batchSize = 2000
    /// Batches read per run per tick before other runs get their turn (the next tick comes at once).
    static let maxBatchesPerTick = 50

    typealias Handler = @Sendable (RunEvent) -> Void

    private let runsDir: String
    private let store: RunStore
    /// Ids of runs that may be active, for a follower of all runs to pick up what already runs.
    private let activeRunIDs: @Sendable () -> [String]
    /// Ids of the runs created since a time (epoch ms), from the index: how new runs are found.
    private let runsCreatedSince: @Sendable (Int64) -> [String]
    private let interval: Double

    /// What other threads ask of the watcher; the watcher takes it over at the start of each tick.
    private struct Inbox {
        var nextToken = 0
        var added: [(token: Int, runIDs: Set<String>?, from: FollowStart, handler: Handler, since: Int64)] = []
        var addedRuns: [(token: Int, runID: String, from: FollowStart)] = []
        var removed: [Int] = []
        var stopped = false
        var wake = false
    }
    private let inbox = ConditionLock(Inbox())
    private let wakeup = FollowerWakeup()

    init(runsDir: String, store: RunStore, interval: Double = 0.02, activeRunIDs: @escaping @Sendable () -> [String],
         runsCreatedSince: @escaping @Sendable (Int64) -> [String]) {
        self.runsDir = runsDir
        self.store = store
        self.interval = interval
        self.activeRunIDs = activeRunIDs
        self.runsCreatedSince = runsCreatedSince
        let watcher = Watcher(runsDir: runsDir, store: store)
        let thread = Thread { [self] in self.loop(watcher) }
        thread.name = "backtest-rpc run follower"
        thread.start()
    }

    /// Follows `runIDs` (nil: every run of the workspace, including runs that appear later).
    func follow(runIDs: Set<String>?, from: FollowStart, handler: @escaping Handler) -> FollowToken {
        // For a follower of all runs: every run created from now on is followed from its beginning, even one
        // created and ended before the watcher's next tick takes this follower on.
        let since = ISOTime.nowMillis()
        let token = send { i -> Int in
            let t = i.nextToken
            i.nextToken += 1
            i.added.append((t, runIDs, from, handler, since))
            return t
        }
        return FollowToken(id: token)
    }

    func addRun(_ runID: String, to token: FollowToken, from: FollowStart) {
        send { $0.addedRuns.append((token.id, runID, from)) }
    }

    func unfollow(_ token: FollowToken) {
        send { $0.removed.append(token.id) }
    }

    /// Ends the watcher thread (after its current tick).
    func stop() { send { $0.stopped = true } }

    private func send<T>(_ body: (inout Inbox) -> T) -> T {
        defer { wakeup.signal() }
        return inbox.withLockAndBroadcast { i -> T in
            i.wake = true
            return body(&i)
        }
    }

    // MARK: the watcher thread

    private func loop(_ w: Watcher) {
        while true {
            let taken = inbox.withLock { i -> Inbox? in
                if i.stopped { return nil }
                let t = i
                i.added = []; i.addedRuns = []; i.removed = []; i.wake = false
                return t
            }
            guard let work = taken else { return }
            // The runs dir is watched before the index is asked what is new: a run created in between is
            // then in the answer or in an event, never in neither.
            if work.added.contains(where: { $0.runIDs == nil }) { wakeup.watch(runsDir, mask: FollowerWakeup.runsDirMask) }
            w.apply(work.added, work.addedRuns, work.removed, activeRunIDs: activeRunIDs, createdSince: runsCreatedSince)
            let busy = w.tick(createdSince: runsCreatedSince)
            watchDirectories(w)
            if busy { continue }
            // Sleep until the next tick, until someone asks for something, or until a followed run's record
            // changes or a run dir appears (`FollowerWakeup`).
            if inbox.withLock({ $0.wake || $0.stopped }) { continue }
            if wakeup.wait(seconds: w.isIdle ? 3600 : interval) { w.runsDirChanged() }
        }
    }
}

extension RunFollower {
    /// Keeps the kernel watching exactly the run dirs of the runs followed now (and the runs dir while some
    /// follower follows all runs), so that a record written there wakes the watcher at once.
    fileprivate func watchDirectories(_ w: Watcher) {
        var dirs = Set<String>()
        for f in w.followers.values { for watch in f.watches.values { dirs.insert(watch.paths.runDir) } }
        if w.followers.values.contains(where: \.all) { dirs.insert(runsDir) }
        wakeup.keepOnly(dirs)
        for d in dirs { wakeup.watch(d, mask: d == runsDir ? FollowerWakeup.runsDirMask : FollowerWakeup.runDirMask) }
        w.watchingRunsDir = wakeup.isWatching(runsDir)
    }
}

/// The watcher thread's own state. Only that thread touches it (hence `@unchecked Sendable`: it is handed to
/// the thread once and never shared).
private final class Watcher: @unchecked Sendable {
    let runsDir: String
    let store: RunStore

    /// One followed run of one follower.
    final class Watch {
        let runID: String
        let paths: RunPaths
        let tailer: LogTailer
        /// The status this follower last saw (nil until the record could be read).
        var status: RunStatus?
        var fingerprint: FileFingerprint?
        /// Set for runs picked up from the runs dir before their run.json existed.
        var firstSeen: Double
        init(runID: String, paths: RunPaths, tailer: LogTailer, status: RunStatus?) {
            self.runID = runID; self.paths = paths; self.tailer = tailer; self.status = status
            firstSeen = MonotonicTime.now()
        }
    }

    final class Follower {
        let handler: RunFollower.Handler
        let all: Bool
        var watches: [String: Watch] = [:]
        init(handler: @escaping RunFollower.Handler, all: Bool) { self.handler = handler; self.all = all }
    }

    var followers: [Int: Follower] = [:]
    /// Runs already handed to the followers of all runs (so that none is followed twice from its beginning).
    var discovered: Set<String> = []
    /// The creation time from which the index is asked for new runs (epoch ms), while some follower follows
    /// all runs.
    var discoverFrom: Int64?
    /// Until when (monotonic seconds) to ask the index on every tick: a run dir appeared, and its index row
    /// follows within milliseconds. Without inotify, always.
    var askUntil = 0.0
    /// How far back each question reaches: creation times are the submitting process's clock.
    static let discoverySlackMillis: Int64 = 2000

    init(runsDir: String, store: RunStore) { self.runsDir = runsDir; self.store = store }

    var isIdle: Bool { followers.values.allSatisfy { !$0.all && $0.watches.isEmpty } }

    func apply(_ added: [(token: Int, runIDs: Set<String>?, from: FollowStart, handler: RunFollower.Handler, since: Int64)],
               _ addedRuns: [(token: Int, runID: String, from: FollowStart)], _ removed: [Int],
               activeRunIDs: () -> [String], createdSince: (Int64) -> [String]) {
        for a in added {
            let f = Follower(handler: a.handler, all: a.runIDs == nil)
            followers[a.token] = f
            if f.all {
                // Created since `follow` was called: from their beginning; older ones still going: as asked.
                let new = Set(createdSince(a.since))
                for id in new { watch(id, in: f, from: .beginning) }
                for id in activeRunIDs() where !new.contains(id) { watch(id, in: f, from: a.from) }
                discovered.formUnion(new)
                discoverFrom = min(discoverFrom ?? a.since, a.since)
                askUntil = MonotonicTime.now() + 1
            } else {
                for id in a.runIDs ?? [] { watch(id, in: f, from: a.from) }
            }
        }
        for r in addedRuns { if let f = followers[r.token] { watch(r.runID, in: f, from: r.from) } }
        for t in removed { followers[t] = nil }
        if !followers.values.contains(where: \.all) { discovered = []; discoverFrom = nil }
    }

    /// A run dir appeared in the runs dir (inotify): ask the index on the next ticks.
    func runsDirChanged() { askUntil = MonotonicTime.now() + 1 }

    /// Starts watching a run for a follower (a second request for the same run is ignored).
    func watch(_ runID: String, in f: Follower, from: FollowStart) {
        guard f.watches[runID] == nil, RunStore.isValidRunID(runID) else { return }
        let paths = RunPaths(runDir: runsDir + "/" + runID)
        switch from {
        case .beginning:
            f.watches[runID] = Watch(runID: runID, paths: paths, tailer: LogTailer(paths: paths), status: .queued)
        case .now:
            guard let r = try? store.load(paths: paths), !r.status.isTerminal else { return }
            let w = Watch(runID: runID, paths: paths, tailer: LogTailer(paths: paths, from: LogReader(paths: paths).count()),
                          status: r.status)
            w.fingerprint = FileSystem.fingerprint(paths.record)
            f.watches[runID] = w
        }
    }

    /// One pass over every followed run. Returns true when some run had more lines than one tick reads.
    func tick(createdSince: (Int64) -> [String]) -> Bool {
        discoverNewRuns(createdSince)
        var busy = false
        for (_, f) in followers {
            for (id, w) in f.watches {
                let (done, more) = step(w, f.handler)
                if done { f.watches[id] = nil }
                busy = busy || more
            }
        }
        return busy
    }

    /// For followers of all runs: runs created since the last look are followed from their beginning. The
    /// index says which (no readdir: a runs dir may hold a million runs); it is asked on the ticks after a
    /// run dir appeared (inotify), or on every tick where inotify cannot watch the runs dir.
    func discoverNewRuns(_ createdSince: (Int64) -> [String]) {
        guard let from = discoverFrom, MonotonicTime.now() < askUntil || !watchingRunsDir else { return }
        let now = ISOTime.nowMillis()
        for id in createdSince(from) where discovered.insert(id).inserted {
            for f in followers.values where f.all { watch(id, in: f, from: .beginning) }
        }
        discoverFrom = max(from, now - Self.discoverySlackMillis)
        // Ids older than the window cannot come back: forget them, so the set stays small.
        if discovered.count > 10_000 { discovered = Set(createdSince(discoverFrom!)) }
    }

    /// Whether inotify watches the runs dir (set by the follower; false: ask the index on every tick).
    var watchingRunsDir = false

    /// Delivers what is new for one run. Returns (the watch is finished, lines remain for the next tick).
    func step(_ w: Watch, _ emit: RunFollower.Handler) -> (done: Bool, more: Bool) {
        var record: RunRecord?
        let fp = FileSystem.fingerprint(w.paths.record)
        if fp == nil {
            // No record (yet): a run dir just made, or a run deleted. Give up after a while.
            if !FileSystem.isDirectory(w.paths.runDir) || MonotonicTime.now() - w.firstSeen > 30 { return (true, false) }
            return (false, false)
        }
        if fp != w.fingerprint {
            if let r = try? store.load(paths: w.paths) {
                record = r
                w.fingerprint = fp
            }
        }
        var more = false
        // A non-terminal change is announced before the lines that follow it.
        if let r = record, r.status != w.status, !r.status.isTerminal {
            announce(r, w, emit)
        }
        let terminal = record.map { $0.status.isTerminal && $0.status != w.status } ?? false
        if terminal { StepTrace.mark("server: final record read") }
        more = deliverLines(w, emit, drain: terminal)
        if terminal, let r = record {
            announce(r, w, emit)
            return (true, false)
        }
        return (false, more)
    }

    /// Emits a status change, first the `running` a follower missed when a run went from queued straight to
    /// a later status between two looks (it did run: it has a start time).
    func announce(_ r: RunRecord, _ w: Watch, _ emit: RunFollower.Handler) {
        // The record's history names every status the run passed through between two looks (a validation
        // takes a millisecond; we look every 20): announce each of them, in order, as an interim record.
        if let seen = w.status, let from = r.history.lastIndex(where: { $0.status == seen }) {
            for step in r.history[(from + 1)...].dropLast() where step.status != r.status {
                var interim = r
                interim.status = step.status
                interim.failure = nil; interim.completedAt = nil; interim.exitCode = nil; interim.signal = nil
                interim.errorMessage = nil
                if step.status != .validating { interim.validation = nil }
                emit(.status(record: interim, previous: w.status))
                w.status = step.status
            }
        } else if w.status == .queued, r.status != .running, r.startedAt != nil {
            // A record without history (written by an older version): it did run, it has a start time.
            var running = r
            running.status = .running
            running.failure = nil; running.completedAt = nil; running.exitCode = nil; running.signal = nil
            running.errorMessage = nil; running.validation = nil
            emit(.status(record: running, previous: .queued))
            w.status = .running
        }
        emit(.status(record: r, previous: w.status))
        w.status = r.status
    }

    /// Reads and emits new lines; with `drain`, everything up to the end of the log. Returns true when lines
    /// were left for the next tick.
    func deliverLines(_ w: Watch, _ emit: RunFollower.Handler, drain: Bool) -> Bool {
        var batches = 0
        // The latest progress line of everything read now, not only of the last batch: the two pipes are
        // interleaved in the log, so a script's last progress line (on stderr) may be followed by a whole
        // batch of stdout lines.
        var latest: Progress?
        defer { if let latest { emit(.progress(runID: w.runID, latest)) } }
        while true {
            let lines = w.tailer.readNew(max: RunFollower.batchSize)
            if lines.isEmpty { break }
            emit(.lines(runID: w.runID, lines: lines))
            if let p = Self.latestProgress(in: lines) { latest = p }
            batches += 1
            if lines.count < RunFollower.batchSize { break }
            if !drain && batches >= RunFollower.maxBatchesPerTick { return true }
        }
        return false
    }

    /// The latest line of `lines` that reports progress (older ones would be stale by now).
    static func latestProgress(in lines: [LogLine]) -> Progress? {
        for line in lines.reversed() {
            if let p = ProgressParser.parse(line.text) { return p }
        }
        return nil
    }
}
