import CSystem
import Foundation
import Glibc

/// Notices when the client process dies (initialize's `processId`, or `--client-pid`), so the server can
/// leave as on end of input even when the client's pipes were inherited by something that outlives it.
/// A small thread waits on a pidfd (readable when the process exits), waking once a second to see whether
/// it was cancelled; where pidfds are unavailable it polls `kill(pid, 0)` once a second instead.
final class ClientProcessWatch: Sendable {
    private let cancelled = CancellationToken()

    /// Returns nil when no process `pid` exists now (a client in another pid namespace sends a pid that
    /// means nothing here: watching it would end the session at once).
    init?(pid: Int32, onDeath: @escaping @Sendable () -> Void) {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return nil }
        let pidfd = csys_pidfd_open(pid)
        let thread = Thread { [cancelled] in
            defer { if pidfd >= 0 { close(pidfd) } }
            while !cancelled.isCancelled {
                let gone: Bool
                if pidfd >= 0 {
                    var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                    gone = poll(&p, 1, 1000) > 0
                } else {
                    sleep(1)
                    gone = kill(pid, 0) != 0 && errno == ESRCH
                }
                if gone && !cancelled.isCancelled {
                    onDeath()
                    return
                }
            }
        }
        thread.name = "jsonrpc-client-watch"
        thread.start()
    }

    /// Stops watching (the thread ends within a second).
    func cancel() { cancelled.cancel() }
}
