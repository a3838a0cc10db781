import CSystem
import Glibc

/// Turns SIGTERM and SIGINT (how a server cancels a running run) into a byte on a pipe that the capture
/// loop polls along with the script's output: the classic self-pipe. The handler only `write`s, which is
/// async-signal-safe; everything else happens in the loop.
enum SignalWakeup {
    /// Write end for the handler. Set once, before the handlers are installed, never changed after.
    nonisolated(unsafe) private static var writeFD: Int32 = -1

    /// Installs the handlers; returns the read end to poll (non-blocking; each byte is a signal number),
    /// or nil when no pipe could be made.
    static func install(signals: [Int32] = [SIGTERM, SIGINT]) -> Int32? {
        var fds: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        writeFD = fds[1]
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = { sig in
            var b = UInt8(truncatingIfNeeded: sig)
            let saved = errno
            _ = write(SignalWakeup.writeFD, &b, 1)
            errno = saved
        }
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = SA_RESTART
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in signals {
            sigaction(s, &sa, nil)
            sigaddset(&unblock, s)
        }
        // A launcher may have started us from a thread with these signals blocked (Dispatch does that);
        // blocked, a cancel would never arrive.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return fds[0]
    }

    /// The signals that arrived since the last call (drains the pipe).
    static func drain(_ fd: Int32) -> [Int32] {
        var out: [Int32] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
            out += buf[0..<n].map { Int32($0) }
        }
        return out
    }
}
