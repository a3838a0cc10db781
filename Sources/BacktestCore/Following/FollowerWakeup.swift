import Base
import CSystem
import Glibc

/// What wakes the follower's watcher thread: a request from another thread (`signal`), or the kernel saying
/// that a followed run has ended or that a run dir appeared. Without it a final status waited for the next
/// tick (20 ms, 10 on average); with it the final status reaches the client as soon as it is written.
///
/// "Ended" is a deletion in the run dir: right after saving the final record, the supervisor removes the
/// space it kept for it (`RecordReserve`), and nothing else is deleted there while a run goes on. Interim
/// records (running, validating) are replaced by renames, which do not wake the thread: waking at `running`
/// took CPU from the script's own start on two cores, and a tick later is soon enough for them. Log lines
/// wait for the tick too: a script writing a million lines would otherwise wake the thread a million times,
/// and batching them is what keeps the stream fast. Where inotify is missing (or its watch limit is
/// reached) the ticks alone still see everything, as before.
final class FollowerWakeup: @unchecked Sendable {
    /// A pipe: `signal` writes a byte to its write end, the watcher polls its read end.
    private let wakeFD: Int32
    private let signalFD: Int32
    private let notifyFD: Int32
    /// Watched directory → its watch descriptor (only the watcher thread touches it).
    private var watches: [String: Int32] = [:]
    /// The directory watched for new run dirs.
    private var runsDirPath: String?

    static let runDirMask = UInt32(IN_DELETE | IN_ONLYDIR)
    static let runsDirMask = UInt32(IN_CREATE | IN_ONLYDIR)

    init() {
        var p: [Int32] = [-1, -1]
        if csys_pipe_cloexec(&p) == 0 {
            for fd in p { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        wakeFD = p[0]
        signalFD = p[1]
        notifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    }

    deinit {
        if wakeFD >= 0 { close(wakeFD) }
        if signalFD >= 0 { close(signalFD) }
        if notifyFD >= 0 { close(notifyFD) }
    }

    /// Wakes the watcher (any thread).
    func signal() {
        // A full pipe already says "wake up": a failed write loses nothing.
        var one: UInt8 = 1
        _ = write(signalFD, &one, 1)
    }

    /// Sleeps until `signal`, a watched directory's event, or `seconds` (nil: until one of the first two).
    /// True when something was created in a directory watched with `runsDirMask` (or events were lost).
    func wait(seconds: Double?) -> Bool {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: notifyFD, events: Int16(POLLIN), revents: 0)]
        let ms: Int32 = seconds.map { Int32(max(0, min($0 * 1000, 3_600_000)).rounded(.up)) } ?? -1
        _ = poll(&fds, nfds_t(notifyFD >= 0 ? 2 : 1), ms)
        drain(wakeFD)
        return readEvents()
    }

    func isWatching(_ dir: String) -> Bool { watches[dir] != nil }

    /// Reads the pending events; true when one says a directory was created in a runs dir, or the queue
    /// overflowed (then anything may have happened).
    private func readEvents() -> Bool {
        guard notifyFD >= 0 else { return false }
        let runsDirWD = runsDirPath.flatMap { watches[$0] }
        var any = false
        InotifyEvents.read(notifyFD) { e in
            if e.mask & UInt32(IN_Q_OVERFLOW) != 0 || (e.wd == runsDirWD && e.mask & UInt32(IN_CREATE) != 0) { any = true }
            return true
        }
        return any
    }

    /// Starts watching `dir` (`mask`: `runDirMask` or `runsDirMask`); a second call for it does nothing.
    func watch(_ dir: String, mask: UInt32) {
        if mask == Self.runsDirMask { runsDirPath = dir }
        guard notifyFD >= 0, watches[dir] == nil else { return }
        let wd = inotify_add_watch(notifyFD, dir, mask)
        if wd >= 0 { watches[dir] = wd }
    }

    /// Stops watching every directory not in `keep` (runs that ended, followers that left).
    func keepOnly(_ keep: Set<String>) {
        for (dir, wd) in watches where !keep.contains(dir) {
            inotify_rm_watch(notifyFD, wd)
            watches[dir] = nil
        }
    }

    private func drain(_ fd: Int32) {
        guard fd >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        while buf.withUnsafeMutableBytes({ read(fd, $0.baseAddress!, $0.count) }) > 0 {}
    }
}
