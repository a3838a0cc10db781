import Base
import CSystem
import Glibc

/// The supervisor's one loop while a script runs: a single `poll(2)` over the script's stdout and stderr
/// pipes (read in arrival order, 64 KB at a time), a pidfd that becomes readable when the script exits, and
/// the signal pipe (a cancel). Deadlines (timeout, kill grace) are the poll timeout. No threads: the order
/// in which chunks are read is the order their lines get in the log.
///
/// It ends when the script has been reaped and both pipes are closed, and nothing of its process group
/// is left: a cancel or timeout terminates the group (SIGTERM, SIGKILL after the grace); processes left
/// behind by a script that exited are given the grace to finish writing, then terminated too.
final class CaptureLoop {
    /// Why the loop stopped the script's process group, if it did.
    enum Stop: Equatable {
        case cancelled
        case timedOut
        /// The script exited but processes it started kept running.
        case leftovers
    }

    /// What happened, for the record.
    struct Outcome {
        /// The script's `waitpid` status; nil only if it could not be reaped (it never died of SIGKILL).
        var waitStatus: Int32?
        var stop: Stop?
        /// How many processes of the group were still there after the script exited (then stopped).
        var leftBehind = 0
        /// The pipes stayed open after everything of the group was gone: a process that left the group
        /// (setsid) holds them, and capture was given up.
        var pipesAbandoned = false
    }

    static let readSize = 64 * 1024
    /// After SIGKILL, how long to wait for the pipes to close before giving them up.
    static let afterKillWait = 2.0

    private let pid: pid_t
    private let capture: OutputCapture
    private let wakeFD: Int32
    /// The run's `CancelSignal` token: a cancel carrying another run's token is not for us, unless this
    /// run's cancel request file exists (two SIGTERMs pending at once merge into one, with the first's token).
    private let cancelToken: Int32
    private let cancelRequest: String
    private let timeout: Double?
    private let grace: Double
    private var pipes: [Int32]
    private var pidFD: Int32

    private var outcome = Outcome()
    private var timeoutAt = Double.infinity
    private var leftoverAt = Double.infinity
    private var sigkillAt = Double.infinity
    private var giveUpAt = Double.infinity

    /// `pipes`: the read ends of stdout and stderr (closed by the loop); `wakeFD`: `SignalWakeup`'s pipe.
    init(pid: pid_t, stdout: Int32, stderr: Int32, capture: OutputCapture, wakeFD: Int32, cancelToken: Int32,
         cancelRequest: String, timeout: Double?, grace: Double) {
        self.pid = pid; self.capture = capture; self.wakeFD = wakeFD
        self.cancelToken = cancelToken; self.cancelRequest = cancelRequest
        self.timeout = timeout; self.grace = max(0, grace)
        pipes = [stdout, stderr]
        pidFD = csys_pidfd_open(pid)
    }

    /// Runs until the script and everything it left are gone. `cancelPending`: a cancel arrived before.
    func run(start: Double, cancelPending: Bool = false) -> Outcome {
        if let timeout { timeoutAt = start + timeout }
        if cancelPending { stop(.cancelled, now: MonotonicTime.now()) }
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        var fds: [pollfd] = []
        fds.reserveCapacity(4)
        while outcome.waitStatus == nil || pipes[0] >= 0 || pipes[1] >= 0 {
            let now = MonotonicTime.now()
            checkDeadlines(now)
            if now >= giveUpAt { abandonPipes(); if outcome.waitStatus == nil { reap(wait: true) }; break }

            fds.removeAll(keepingCapacity: true)
            for fd in pipes where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if outcome.waitStatus == nil, pidFD >= 0 { fds.append(pollfd(fd: pidFD, events: Int16(POLLIN), revents: 0)) }
            fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            var wait = min(timeoutAt, leftoverAt, sigkillAt, giveUpAt) - now
            // Without a pidfd (old kernel) the only way to notice the exit is to look now and then.
            if pidFD < 0, outcome.waitStatus == nil { wait = min(wait, 0.02) }
            let ms: Int32 = wait.isInfinite ? -1 : Int32(max(0, min(wait * 1000 + 1, 3_600_000)))
            let n = poll(&fds, nfds_t(fds.count), ms)
            if n < 0 { if errno == EINTR { continue }; break }

            for p in fds where p.revents != 0 {
                if p.fd == wakeFD {
                    let signals = SignalWakeup.drain(wakeFD)
                    if signals.contains(where: { $0.stops(token: cancelToken) })
                        || (!signals.isEmpty && FileSystem.exists(cancelRequest)) { stop(.cancelled, now: MonotonicTime.now()) }
                } else if p.fd == pidFD {
                    reap(wait: false)
                } else {
                    readPipe(p.fd, &buffer)
                }
            }
            if pidFD < 0, outcome.waitStatus == nil { reap(wait: false) }
        }
        if pidFD >= 0 { close(pidFD); pidFD = -1 }
        cleanUpGroup()
        return outcome
    }

    // MARK: - Events

    private func readPipe(_ fd: Int32, _ buffer: inout [UInt8]) {
        let k = fd == pipes[0] ? 0 : 1
        let stream: LogStream = k == 0 ? .stdout : .stderr
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        if n > 0 {
            let t = ISOTime.nowMillis()
            buffer.withUnsafeBufferPointer { capture.consume(UnsafeBufferPointer(rebasing: $0[0..<n]), stream: stream, timeMillis: t) }
            return
        }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        capture.finish(stream, timeMillis: ISOTime.nowMillis())
        close(fd)
        pipes[k] = -1
    }

    private func reap(wait: Bool) {
        var status: Int32 = 0
        if wait {
            // Only after SIGKILL: the script is dead or dying; bounded so a process stuck in the kernel
            // cannot hold the supervisor forever.
            let until = MonotonicTime.now() + Self.afterKillWait
            while waitpid(pid, &status, WNOHANG) == 0 {
                if MonotonicTime.now() >= until { return }
                MonotonicTime.sleep(0.005)
            }
            outcome.waitStatus = status
            return
        }
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return }
        outcome.waitStatus = status
        if pidFD >= 0 { close(pidFD); pidFD = -1 }
        // Exited, but someone still holds its pipes: a background process it started. Let it finish
        // writing for a grace period, then stop it.
        if outcome.stop == nil, pipes[0] >= 0 || pipes[1] >= 0 { leftoverAt = MonotonicTime.now() + grace }
    }

    private func checkDeadlines(_ now: Double) {
        if now >= timeoutAt, outcome.stop == nil || outcome.stop == .leftovers { stop(.timedOut, now: now) }
        if now >= leftoverAt, outcome.stop == nil {
            let members = ProcessGroup.members(pgid: pid)
            if members.isEmpty {
                // Nothing of the group is left, yet the pipes are open: their holder left the group.
                abandonPipes()
                outcome.pipesAbandoned = true
            } else {
                outcome.leftBehind = members.count
                stop(.leftovers, now: now)
            }
        }
        if now >= sigkillAt {
            ProcessGroup.kill(pgid: pid)
            sigkillAt = .infinity
            giveUpAt = now + Self.afterKillWait
        }
    }

    /// Starts terminating the group: SIGTERM now, SIGKILL when the grace is over. A cancel or timeout
    /// that comes while left-behind processes are being stopped takes over the reason, not the clock.
    private func stop(_ reason: Stop, now: Double) {
        if let current = outcome.stop {
            if current == .leftovers { outcome.stop = reason }
            return
        }
        outcome.stop = reason
        timeoutAt = .infinity
        leftoverAt = .infinity
        ProcessGroup.signal(pgid: pid, SIGTERM)
        sigkillAt = now + grace
    }

    private func abandonPipes() {
        for k in 0..<2 where pipes[k] >= 0 {
            capture.finish(k == 0 ? .stdout : .stderr, timeMillis: ISOTime.nowMillis())
            close(pipes[k])
            pipes[k] = -1
        }
        leftoverAt = .infinity
        outcome.pipesAbandoned = true
    }

    /// The script is reaped and the pipes are closed; processes of the group that let go of the pipes may
    /// still run (a daemon with its output sent elsewhere). Nothing of a run outlives it.
    private func cleanUpGroup() {
        guard ProcessGroup.isAlive(pgid: pid) else { return }
        if outcome.stop == nil {
            outcome.leftBehind = ProcessGroup.members(pgid: pid).count
            if outcome.leftBehind > 0 { outcome.stop = .leftovers }
            ProcessGroup.terminate(pgid: pid, grace: grace)
        } else {
            let remaining = sigkillAt.isFinite ? max(0, sigkillAt - MonotonicTime.now()) : 0
            ProcessGroup.terminate(pgid: pid, grace: remaining)
        }
    }
}
