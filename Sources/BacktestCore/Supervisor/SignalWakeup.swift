import CSystem
import Glibc

/// Turns SIGTERM and SIGINT (how a run is cancelled) into a record on a pipe that the capture loop polls
/// along with the script's output: the classic self-pipe. The handler (in CSystem) only `write`s, which is
/// async-signal-safe; everything else happens in the loop.
enum SignalWakeup {
    /// One signal as it arrived: its number, and the run token a cancel attached (`CancelSignal`), 0 when
    /// the sender used a plain kill (a person, a shutdown, Slurm).
    struct Received: Equatable {
        var signal: Int32
        var token: Int32

        /// Whether it asks to stop the run with `token`: a plain kill stops whatever runs; a cancel stops only
        /// the run it was sent for (a supervisor that went on to its next run ignores a late cancel of the last).
        func stops(token current: Int32) -> Bool {
            (signal == SIGTERM || signal == SIGINT) && (token == 0 || token == current)
        }
    }

    /// Installs the handlers; returns the read end to poll (non-blocking), or nil when no pipe could be made.
    static func install(signals: [Int32] = [SIGTERM, SIGINT]) -> Int32? {
        var fds: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for s in signals {
            guard csys_signal_to_pipe(s, fds[1]) == 0 else { return nil }
            sigaddset(&unblock, s)
        }
        // A launcher may have started us from a thread with these signals blocked (Dispatch does that);
        // blocked, a cancel would never arrive.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return fds[0]
    }

    /// The signals that arrived since the last call (drains the pipe).
    static func drain(_ fd: Int32) -> [Received] {
        var out: [Received] = []
        var record: [Int32] = [0, 0]
        while true {
            let n = record.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
            if n < 0 && errno == EINTR { continue }
            guard n == 8 else { break }  // records are written whole (8 bytes < PIPE_BUF)
            out.append(Received(signal: record[0], token: record[1]))
        }
        return out
    }
}
