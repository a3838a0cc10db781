import Base
import Dispatch
import Glibc
import Synchronization

/// A file whose modification time a supervisor renews every few seconds while it lives: on a cluster, the
/// lock it holds is invisible to a server on another machine, so this (with Slurm's view of the job) is how
/// a server tells a supervisor that is alive from one that is gone.
/// (`@unchecked`: a Dispatch timer may be cancelled from any thread.)
final class Heartbeat: @unchecked Sendable {
    private let stopped = Mutex(false)
    private let timer: DispatchSourceTimer

    private init(timer: DispatchSourceTimer) { self.timer = timer }

    static func start(path: String, every seconds: Double) -> Heartbeat {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        let h = Heartbeat(timer: timer)
        timer.schedule(deadline: .now(), repeating: max(0.1, seconds))
        timer.setEventHandler { Heartbeat.touch(path) }
        timer.resume()
        return h
    }

    func stop() {
        let first = stopped.withLock { s -> Bool in defer { s = true }; return !s }
        if first { timer.cancel() }
    }

    static func touch(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = futimens(fd, nil)
        close(fd)
    }
}
