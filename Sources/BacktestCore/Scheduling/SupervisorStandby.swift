import Base
import CSystem
import Dispatch
import Glibc
import Synchronization

/// A supervisor started ahead of time, detached and waiting, so that a run's script does not wait for a
/// supervisor process to start (exec, loader, runtime: ~2.5 ms of the time from `run` to the script).
///
/// The standby waits on a socket for one assignment: the run's directory with the slot lock and the run
/// lock attached as descriptors (SCM_RIGHTS). The locks belong to the open files, and descriptors in flight
/// keep them open, so the run is never without a holder of its lock between the claim and the supervisor
/// taking over: nobody can mistake it for an abandoned run. After an assignment a new standby is started in
/// the background. When the server goes, the socket closes and a waiting standby exits.
final class SupervisorStandby: Sendable {
    private struct Waiting { var pid: pid_t; var socket: Int32 }
    private let waiting = Mutex<Waiting?>(nil)
    private let executable: String
    private let layout: WorkspaceLayout
    private let environment: [String: String]
    private let onSpawn: @Sendable (pid_t) -> Void

    /// `onSpawn` gets every standby's pid (the scheduler reaps them with its other children).
    init(executable: String, layout: WorkspaceLayout, environment: [String: String],
         onSpawn: @escaping @Sendable (pid_t) -> Void) {
        self.executable = executable; self.layout = layout; self.environment = environment; self.onSpawn = onSpawn
    }

    /// How long after a hand-over the next standby is started.
    static let replacementDelay = 0.05

    deinit { waiting.withLock { if let w = $0 { close(w.socket) } } }

    /// Whether a standby waits (it may still be gone by the time a run is handed over).
    var isWaiting: Bool { waiting.withLock { $0 != nil } }

    /// Starts a standby unless one is waiting.
    func prepare() {
        guard waiting.withLock({ $0 == nil }) else { return }
        var pair: [Int32] = [-1, -1]
        guard csys_seqpacket_pair(&pair) == 0 else { return }
        let argv = [executable, "supervise", SupervisorCommand.standbyFlag, "--runs-dir", layout.runsDir,
                    "--workspace-root", layout.root]
        let spawned = ProcessSpawner.spawn(executable: executable, argv: argv, environment: environment, cwd: layout.root,
                                           keepFDs: [pair[1]], newSession: true)
        close(pair[1])
        guard case .success(let pid) = spawned else { close(pair[0]); return }
        onSpawn(pid)
        let extra: Int32? = waiting.withLock { w in
            if w != nil { return pair[0] }  // another thread won the race: keep theirs
            w = Waiting(pid: pid, socket: pair[0])
            return nil
        }
        if let extra { close(extra) }
    }

    /// Hands a claimed run to the waiting standby; nil when there is none or it is gone (then the caller
    /// starts a supervisor the ordinary way). A new standby is prepared either way, a little later: its
    /// start-up (~3 ms of CPU) would otherwise compete with the script's own start on a machine of few cores,
    /// and runs that follow at once are taken by supervisors going on to their next run (`RunChain`).
    /// 50 ms: past the crowd at the start of a run (the spawn, the metadata capture, the record saves), and
    /// soon enough for the next request of someone working by hand.
    func handOver(runDir: String, slotFD: Int32, runLockFD: Int32) -> pid_t? {
        defer {
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + Self.replacementDelay) { [self] in prepare() }
        }
        guard let w = waiting.withLock({ w -> Waiting? in defer { w = nil }; return w }) else { return nil }
        defer { close(w.socket) }
        let message = Array(runDir.utf8)
        let fds: [Int32] = [slotFD, runLockFD]
        let sent = message.withUnsafeBytes { m in
            fds.withUnsafeBufferPointer { f in csys_send_with_fds(w.socket, m.baseAddress, m.count, f.baseAddress, 2) }
        }
        return sent == message.count ? w.pid : nil
    }
}
