import Base
import Glibc

/// A run's process group: the script leads it (pgid = the script's pid) and its children and grandchildren
/// belong to it unless they leave on purpose (setsid). Signalling the group is how a cancel, a timeout or an
/// interrupted-run cleanup reaches the whole tree.
///
/// Every function refuses pgid ≤ 1: `kill(-1, …)` would signal every process of the user and `kill(0, …)`
/// the caller's own group.
public enum ProcessGroup {
    /// How often the waits below look at the group: no event says "the group is empty".
    static let pollInterval = 0.005

    /// True while a live process is in the group. Zombies do not count: an orphaned grandchild that died
    /// stays a zombie until init reaps it, which some inits do only every second or two, and a zombie
    /// neither runs nor holds descriptors.
    public static func isAlive(pgid: Int32) -> Bool {
        guard pgid > 1 else { return false }
        // The common answer (nobody left) costs one syscall; only a group that answers needs /proc.
        if Glibc.kill(-pgid, 0) != 0 && errno != EPERM { return false }
        return !members(pgid: pgid).isEmpty
    }

    /// Sends `signal` to every process of the group; false when the group is empty (or pgid invalid).
    @discardableResult
    public static func signal(pgid: Int32, _ signal: Int32) -> Bool {
        guard pgid > 1 else { return false }
        return Glibc.kill(-pgid, signal) == 0
    }

    /// SIGKILL to the whole group at once.
    public static func kill(pgid: Int32) { signal(pgid: pgid, SIGKILL) }

    /// The live (non-zombie) pids now in the group, from /proc.
    public static func members(pgid: Int32) -> [Int32] {
        guard pgid > 1, let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [Int32] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let pid = Int32(name), let stat = AtomicFile.read("/proc/\(name)/stat") else { continue }
            // `pid (comm) state ppid pgrp ...`: comm may hold spaces and parentheses, so count from the last ')'.
            guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { continue }
            let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 2, Int32(String(decoding: fields[2], as: UTF8.self)) == pgid else { continue }
            let state = fields[0].first
            if state != UInt8(ascii: "Z") && state != UInt8(ascii: "X") { out.append(pid) }
        }
        return out
    }

    /// SIGTERM to the group, up to `grace` seconds for it to empty, then SIGKILL and up to 2 s more.
    /// When `reaping` is our child (its own pid is the pgid), it is reaped on the way: an unreaped zombie
    /// would keep the group "alive". Returns true when the group is empty at the end.
    @discardableResult
    public static func terminate(pgid: Int32, grace: Double, reaping child: pid_t? = nil) -> Bool {
        guard pgid > 1 else { return true }
        func empty() -> Bool {
            if let child { var st: Int32 = 0; _ = waitpid(child, &st, WNOHANG) }
            return !isAlive(pgid: pgid)
        }
        guard !empty() else { return true }
        signal(pgid: pgid, SIGTERM)
        if waitUntilEmpty(deadline: MonotonicTime.now() + max(0, grace), empty) { return true }
        kill(pgid: pgid)
        return waitUntilEmpty(deadline: MonotonicTime.now() + 2, empty)
    }

    private static func waitUntilEmpty(deadline: Double, _ empty: () -> Bool) -> Bool {
        while !empty() {
            if MonotonicTime.now() >= deadline { return false }
            MonotonicTime.sleep(pollInterval)
        }
        return true
    }
}
