import Base
import Glibc

/// `backtest-rpc supervise <run_dir> --runs-dir <dir> --workspace-root <dir>`: the detached process that owns
/// one run, so that the run outlives the server that started it and its client.
///
/// A launcher claims the run and spawns this command in a session of its own with descriptor 3 = the slot
/// lock and 4 = the run lock, both already locked (flock locks belong to the open file, so we hold them from
/// birth). Holding the run lock for as long as we live is what tells everybody else the run is supervised:
/// when we die, even by SIGKILL, the kernel drops it and the next server marks the run interrupted.
///
/// stdin/stdout/stderr are /dev/null; diagnostics go to `<run_dir>/.supervisor.log`. Exit status: 0 when the
/// run was carried to a final record, 2 for bad arguments, 1 when the run could not be taken on.
public enum SupervisorCommand {
    /// Descriptor numbers the launcher hands over.
    public static let slotLockFD: Int32 = 3
    public static let runLockFD: Int32 = 4

    /// The arguments a launcher passes (after `supervise`).
    public static func arguments(runDir: String, layout: WorkspaceLayout) -> [String] {
        [runDir, "--runs-dir", layout.runsDir, "--workspace-root", layout.root]
    }

    /// `supervise --standby --runs-dir D --workspace-root R`: wait on descriptor 3 (a socket) for a run.
    public static let standbyFlag = "--standby"

    /// Supervises the run named in `arguments`, then, while the queue has runs and this process may go
    /// on, the next ones (see `RunChain`). `makeHooks` makes the hooks for the run's workspace (the
    /// executable passes `StandardHooks.make`; `{ _ in .none }` validates nothing and does nothing else); it is
    /// called once per run, once the script has been spawned, so that nothing it opens delays the start.
    public static func main(arguments: [String],
                            makeHooks: @escaping @Sendable (_ layout: WorkspaceLayout) -> SupervisorHooks) -> Int32 {
        // The fsyncs left for after each run (`LateSync`) are done before the process goes.
        defer { LateSync.waitForAll() }
        if arguments.first == standbyFlag {
            // Waiting for a run: descriptor 3 is the socket; the assignment brings the run's locks along.
            // Descriptor 4 is held by a placeholder until then: the run lock goes there, and dup2 would
            // silently close whatever the warm-up had opened on it meanwhile (the index, for one).
            holdRunLockPlace()
            // No run dir yet: a placeholder stands for it, for the options' other members.
            if let options = Options(["-"] + arguments.dropFirst()) {
                StandbyWarmUp.start(layout: WorkspaceLayout(root: options.workspaceRoot, runsDir: options.runsDir), makeHooks: makeHooks)
            }
            guard let runDir = StandbyAssignment.receive(socket: slotLockFD) else { return 0 }
            return main(arguments: [runDir] + arguments.dropFirst(), handedOver: true, makeHooks: makeHooks)
        }
        return main(arguments: arguments, handedOver: false, makeHooks: makeHooks)
    }

    /// `handedOver`: the locks at 3 and 4 came from a launcher (no need to look at what 3 is).
    private static func main(arguments: [String], handedOver: Bool,
                             makeHooks: @escaping @Sendable (_ layout: WorkspaceLayout) -> SupervisorHooks) -> Int32 {
        // Before anything else: the script must not inherit the locks (it would keep the run "supervised"
        // after we die). csys_spawn closes them too; this also covers anything else that ever spawns here.
        keepLocksFromChildren()
        // Detached, there is no terminal to hang up and no reader to vanish; never die of either.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        // Handlers first: a cancel that arrives while we load the record must not kill us (that would look
        // like an interrupted run) but be remembered.
        guard let wakeFD = SignalWakeup.install() else { return 1 }
        guard let options = Options(arguments) else { return 2 }
        let layout = WorkspaceLayout(root: options.workspaceRoot, runsDir: options.runsDir)

        var chain = RunChain()
        var paths = RunPaths(runDir: options.runDir)
        var handedOver = handedOver
        while true {
            // Launched with the locks at 3 and 4 (not started by hand): only then may the locks of a next run
            // take their places.
            let launched = handedOver || holdsSlot(layout: layout)
            let hooks = MadeOnce { makeHooks(layout) }
            let status = superviseOne(paths: paths, layout: layout, hasSlot: launched, wakeFD: wakeFD, makeHooks: hooks.get)
            WorkingDirWatch.prepareInstance()
            // Descriptors 3 and 4 stay open through the pass (the slot unlocked, the run lock held), so that
            // nothing the pass opens can land on them; `adopt` then replaces both in one step each.
            guard let next = chain.next(layout: layout, index: hooks.made?.index, wakeFD: wakeFD, mayGoOn: launched) else {
                return status  // exiting drops the run lock (and the slot, if still held)
            }
            adopt(next)
            paths = next.paths
            handedOver = true
        }
    }

    /// One run from its record to its end (or to the reason it could not be taken on).
    private static func superviseOne(paths: RunPaths, layout: WorkspaceLayout, hasSlot: Bool, wakeFD: Int32,
                                     makeHooks: @escaping () -> SupervisorHooks) -> Int32 {
        let diagnostics = SupervisorDiagnostics(runDir: paths.runDir)
        guard takeRunLock(paths: paths) else {
            diagnostics.write("the run lock is held by another process; not supervising")
            return 1
        }
        // Reading needs no index; the hooks (and their index) are made after the spawn.
        let store = RunStore(layout: layout, index: nil)
        var record: RunRecord
        do { record = try store.load(paths: paths) } catch {
            diagnostics.write("cannot load the record: \(error)")
            return 1
        }
        guard record.status == .queued else {
            // Terminal: cancelled between claim and start, nothing to do. Running or validating with the
            // lock free: its supervisor died; that is an interrupted run for a server to close, not one
            // to start again over its own log.
            diagnostics.write("the run is \(record.status.rawValue), not queued; not starting it")
            return record.status.isTerminal ? 0 : 1
        }
        let spec: RunSpec
        do { spec = try store.loadSpec(paths: paths) } catch {
            record.failBeforeStart("cannot read the run's spec: \(error)")
            diagnostics.write(record.errorMessage!)
            try? RunStore(layout: layout, index: makeHooks().index).save(record)
            return 1
        }
        let slurm = SlurmJobEnvironment.current
        if let slurm { record.extra["executor"] = slurm.json }
        let heartbeat = slurm.map { Heartbeat.start(path: paths.heartbeat, every: $0.heartbeatSeconds) }
        defer { heartbeat?.stop() }
        let supervisor = RunSupervisor(paths: paths, layout: layout, makeHooks: makeHooks, diagnostics: diagnostics,
                                       wakeFD: wakeFD, releaseSlot: { if hasSlot { _ = flock(slotLockFD, LOCK_UN) } },
                                       inSlurmJob: slurm != nil)
        supervisor.run(record: record, spec: spec)
        return 0
    }

    /// Opens /dev/null on descriptor 4 (free in a fresh standby: 0–2 are /dev/null, 3 is its socket), so that
    /// nothing the standby opens while it waits gets that number.
    private static func holdRunLockPlace() {
        guard fcntl(runLockFD, F_GETFD) < 0 else { return }
        let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard fd >= 0, fd != runLockFD else { return }
        dup2(fd, runLockFD)
        _ = fcntl(runLockFD, F_SETFD, FD_CLOEXEC)
        close(fd)
    }

    /// Puts a run claimed for us where a launched supervisor finds its locks (descriptors 3 and 4). dup2
    /// closes what was there: the last run's (unlocked) slot file, and its run lock, which is released so.
    private static func adopt(_ next: Scheduler.ClaimedRun) {
        dup2(next.slot.fd, slotLockFD)
        dup2(next.runLock.fd, runLockFD)
        // The copies at 3 and 4 hold the locks now (one open file each).
        next.slot.close(); next.runLock.close()
        keepLocksFromChildren()
    }

    /// dup2 clears close-on-exec, and a launcher hands the locks over without it.
    private static func keepLocksFromChildren() {
        if fcntl(slotLockFD, F_GETFD) >= 0 { _ = fcntl(slotLockFD, F_SETFD, FD_CLOEXEC) }
        if fcntl(runLockFD, F_GETFD) >= 0 { _ = fcntl(runLockFD, F_SETFD, FD_CLOEXEC) }
    }

    /// Whether descriptor 3 is a slot lock of this workspace (handed over by a launcher), so that closing it
    /// frees a slot; started by hand, 3 may be anything, or nothing.
    static func holdsSlot(layout: WorkspaceLayout) -> Bool {
        guard let target = FileSystem.linkTarget("/proc/self/fd/\(slotLockFD)"), !target.isEmpty else { return false }
        // The runs dir may have been given through a symlink; compare with its real path too.
        var slots = [layout.slotsDir + "/"]
        if let real = FileSystem.realpath(layout.slotsDir) { slots.append(real + "/") }
        return slots.contains { target.hasPrefix($0) }
    }

    /// Makes sure we hold `<run_dir>/.lock`: the inherited descriptor 4 when it is that file and its lock is
    /// ours, else (started by hand) our own open of it, locked without waiting. The descriptor stays open
    /// (and the lock held) until the process exits.
    static func takeRunLock(paths: RunPaths) -> Bool {
        var inherited = stat(), file = stat()
        if fstat(runLockFD, &inherited) == 0, stat(paths.lock, &file) == 0,
           inherited.st_dev == file.st_dev, inherited.st_ino == file.st_ino {
            // Re-locking through the open file that holds the lock succeeds; through another, it fails.
            return flock(runLockFD, LOCK_EX | LOCK_NB) == 0
        }
        let fd = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        // A Slurm job's supervisor was handed nothing: a server looking at the run may hold the lock for a
        // moment, so it waits a little; started by hand, it does not wait.
        let giveUpAt = MonotonicTime.now() + (SlurmJobEnvironment.current == nil ? 0 : 10)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno != EWOULDBLOCK || MonotonicTime.now() >= giveUpAt { close(fd); return false }
            MonotonicTime.sleep(0.05)
        }
        return true
    }

    /// The parsed command line.
    struct Options {
        var runDir: String
        var runsDir: String
        var workspaceRoot: String

        init?(_ arguments: [String]) {
            var positional: [String] = []
            var runs: String?, root: String?
            var i = 0
            while i < arguments.count {
                let a = arguments[i]
                if a == "--runs-dir" || a == "--workspace-root" {
                    guard i + 1 < arguments.count else { return nil }
                    if a == "--runs-dir" { runs = arguments[i + 1] } else { root = arguments[i + 1] }
                    i += 2
                } else {
                    positional.append(a)
                    i += 1
                }
            }
            guard positional.count == 1 else { return nil }
            var dir = positional[0]
            while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
            runDir = dir
            runsDir = runs ?? PathText.parent(dir)
            workspaceRoot = root ?? PathText.parent(runsDir)
        }
    }
}
