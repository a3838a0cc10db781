import Base
import CSystem
import Foundation
import Glibc

/// The end's work on a run's result files (`SupervisorHooks.prepareEnd`: validation, the metrics, the result
/// hashes), begun while the script is still exiting. An interpreter takes milliseconds to exit after it
/// wrote its last result (Python, the fixtures' strategy: 8–11 ms from its last close to its exit, measured
/// here), and the other core is idle meanwhile; done after the exit, the same work (~0.5 ms) was on the way
/// to the client's final status.
///
/// The results dir is watched with inotify. Once nothing has happened there for `quiet`, and no file created
/// there is still open, `prepare` runs on the watcher's thread. Writes themselves are not watched (a script
/// writing a large file in small pieces would wake the thread at every one): a file written after the work
/// began is closed at the latest when its process exits, and that close is an event. After the script's
/// end, `finish` hands the work on only when nothing happened in the results dir since it began: no event,
/// and every entry still has the size, mtime, ctime and inode it had (a write through mmap raises no event,
/// nor does one through a hard link in another directory). A results dir with a subdirectory is not prepared
/// for (each would need a watch of its own). Whatever goes wrong (no inotify, an overflowed queue) means no
/// early work, never stale work.
final class EarlyEnd: @unchecked Sendable {
    fileprivate let resultsDir: String
    fileprivate let prepare: @Sendable () -> PreparedEnd
    fileprivate let wd: Int32
    /// Guarded by the watcher's lock.
    fileprivate var state = State()

    fileprivate struct State {
        /// Counts the events read: work begun at a count is stale once the count has moved.
        var generation = 0
        var lastEventAt = 0.0
        /// Files created and not closed since (a script is writing them).
        var writers: Set<String> = []
        /// Nothing more is prepared: a subdirectory, an overflow, the directory itself gone.
        var givenUp = false
        /// The generation the work in progress began at, if any.
        var preparing: Int?
        var stopped = false
        var attempts = 0
        var prepared: (generation: Int, entries: Entries, work: PreparedEnd)?

        /// Something new was written since the last work began, nothing is left open, and it may still be done.
        var ready: Bool {
            !givenUp && !stopped && preparing == nil && writers.isEmpty && attempts < EarlyEnd.maxAttempts
                && generation > (prepared?.generation ?? 0)
        }
    }

    /// What `lstat` says of an entry of the results dir: enough to tell that it changed.
    fileprivate struct EntryStat: Equatable {
        let size: Int64
        let mtimeNanos: Int64
        let ctimeNanos: Int64
        let inode: UInt64
        let isDirectory: Bool
    }

    /// The results dir's entries, by name.
    fileprivate typealias Entries = [String: EntryStat]

    /// How long the results dir must be quiet before the work is begun.
    static let quiet = 0.002
    /// At most this many attempts per run: a script that writes, pauses and writes again does not have its
    /// results read over and over.
    static let maxAttempts = 3

    fileprivate init(resultsDir: String, prepare: @escaping @Sendable () -> PreparedEnd, wd: Int32) {
        self.resultsDir = resultsDir; self.prepare = prepare; self.wd = wd
    }

    /// Watches `resultsDir` from now on; nil when inotify cannot.
    static func start(resultsDir: String, prepare: @escaping @Sendable () -> PreparedEnd) -> EarlyEnd? {
        ResultsWatcher.shared?.add(resultsDir: resultsDir, prepare: prepare)
    }

    /// After the script's end (every process of it gone): the work, when it is still true to the files.
    /// Waits for work in progress that is still true to them (it is further along than starting again would
    /// be); work in progress that is not is left to finish on its own.
    func finish() -> PreparedEnd? {
        guard let candidate = ResultsWatcher.shared?.finish(self), Self.entries(resultsDir) == candidate.entries else { return nil }
        return candidate.work
    }

    /// The results dir's entries now; nil when it cannot be read.
    fileprivate static func entries(_ dir: String) -> Entries? {
        guard let names = FileSystem.entries(dir) else { return nil }
        var out: Entries = [:]
        for name in names {
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0 else { return nil }
            out[name] = EntryStat(size: Int64(st.st_size),
                                  mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                                  ctimeNanos: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                                  inode: UInt64(st.st_ino), isDirectory: st.st_mode & S_IFMT == S_IFDIR)
        }
        return out
    }
}

/// The one inotify instance and thread of a process for `EarlyEnd`, made on first use and kept: a supervisor
/// going from run to run adds a watch per run and removes it (microseconds) where an instance per run cost
/// a thread, and closing it an RCU grace period (8–16 ms).
private final class ResultsWatcher: @unchecked Sendable {
    static let shared = ResultsWatcher()

    static let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

    private let notifyFD: Int32
    /// Written to by `finish`, which reads events too (maybe another run's), so that the thread looks again.
    private let wakeFDs: [Int32]
    /// The runs watched, by watch descriptor.
    private let runs = ConditionLock<[Int32: EarlyEnd]>([:])

    private init?() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        var p: [Int32] = [-1, -1]
        guard fd >= 0 else { return nil }
        guard csys_pipe_cloexec(&p) == 0 else { close(fd); return nil }
        _ = fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK)
        notifyFD = fd
        wakeFDs = p
        let thread = Thread { [self] in loop() }
        thread.name = "backtest-rpc early end"
        thread.start()
    }

    func add(resultsDir: String, prepare: @escaping @Sendable () -> PreparedEnd) -> EarlyEnd? {
        runs.withLock { runs in
            let wd = inotify_add_watch(notifyFD, resultsDir, Self.mask)
            // A directory another run here still watches (never two runs' results dirs): no early work.
            guard wd >= 0, runs[wd] == nil else { return nil }
            let run = EarlyEnd(resultsDir: resultsDir, prepare: prepare, wd: wd)
            runs[wd] = run
            return run
        }
    }

    func finish(_ run: EarlyEnd) -> (generation: Int, entries: EarlyEnd.Entries, work: PreparedEnd)? {
        let stale = runs.withLock { runs -> Bool in
            readEvents(&runs)
            return run.state.preparing.map { $0 != run.state.generation } ?? false
        }
        defer {
            var one: UInt8 = 1
            _ = write(wakeFDs[1], &one, 1)
        }
        return runs.wait(until: { _ in stale || run.state.preparing == nil }) { runs in
            readEvents(&runs)
            run.state.stopped = true
            runs[run.wd] = nil
            inotify_rm_watch(notifyFD, run.wd)
            let s = run.state
            guard !stale, !s.givenUp, let p = s.prepared, p.generation == s.generation else { return nil }
            return p
        } ?? nil
    }

    /// Reads events, and does a run's work once its results dir has been quiet.
    private func loop() {
        while true {
            let deadline = runs.withLock { runs in
                runs.values.filter(\.state.ready).map { $0.state.lastEventAt + EarlyEnd.quiet }.min()
            }
            var fds = [pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFDs[0], events: Int16(POLLIN), revents: 0)]
            let ms: Int32 = deadline.map { Int32((max(0, $0 - MonotonicTime.now()) * 1000).rounded(.up)) } ?? -1
            _ = poll(&fds, 2, ms)
            var byte: UInt8 = 0
            while read(wakeFDs[0], &byte, 1) > 0 {}
            let due = runs.withLock { runs -> (EarlyEnd, Int)? in
                readEvents(&runs)
                let now = MonotonicTime.now()
                guard let run = runs.values.first(where: { $0.state.ready && now - $0.state.lastEventAt >= EarlyEnd.quiet })
                else { return nil }
                run.state.preparing = run.state.generation
                run.state.attempts += 1
                return (run, run.state.generation)
            }
            guard let (run, begun) = due else { continue }
            // Taken before the work: anything changed after this shows in the events or in `finish`'s look.
            let before = EarlyEnd.entries(run.resultsDir)
            let hasSubdirectory = before?.values.contains(where: \.isDirectory) ?? true
            let work = hasSubdirectory ? nil : run.prepare()
            runs.withLockAndBroadcast { _ in
                run.state.preparing = nil
                if let work, let before { run.state.prepared = (begun, before, work) } else { run.state.givenUp = true }
            }
        }
    }

    /// Reads the pending events into the runs they concern (under the lock: `finish` reads too).
    private func readEvents(_ runs: inout [Int32: EarlyEnd]) {
        let now = MonotonicTime.now()
        InotifyEvents.read(notifyFD, bufferSize: 4096) { e in
            if e.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                for run in runs.values { run.state.givenUp = true; run.state.generation += 1 }
                return true
            }
            guard let run = runs[e.wd] else { return true }
            run.state.generation += 1
            run.state.lastEventAt = now
            if e.mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_ISDIR) != 0 {
                run.state.givenUp = true
            } else if e.mask & UInt32(IN_CREATE) != 0 {
                run.state.writers.insert(e.name)
            } else if e.mask & UInt32(IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM) != 0 {
                run.state.writers.remove(e.name)
            }
            return true
        }
    }
}
