import Base
import Dispatch
import Glibc
import Synchronization

/// Finds the files a run creates or changes under its working directory without stat-ing every file twice
/// (a `stat` costs ~2 µs here: 40 ms for two walks of 10,000 files). At the start it watches every directory
/// of the tree with inotify (one watch per directory, found from directory entries alone); at the end it
/// reads the events (closed after writing, created, moved in) and `lstat`s only the files they name.
///
/// The root directory is watched before the spawn; its subdirectories after it (the script never waits for
/// them). What the script wrote in a subdirectory before it was watched is found by the directory's mtime:
/// a directory changed since the run started has its files `stat`ed, and those modified since then count.
/// Only an in-place rewrite of an existing file in a subdirectory, in the first moments of a run (before
/// that directory was watched), can be missed that way.
///
/// When inotify cannot do it (no instance, the watch limit, the event queue overflowed), it falls back to
/// `WorkingDirSnapshot`: a full snapshot at the start and a full walk at the end (or, after an overflow,
/// every file modified since the run started).
package final class WorkingDirWatch: @unchecked Sendable {
    package typealias Change = WorkingDirSnapshot.Change

    let root: String
    let excluding: [String]
    let sinceNanos: Int64
    private var fd: Int32 = -1
    /// Watch descriptor → the directory's path relative to the root (`""` or ending in `/`).
    private var watched: [Int32: String] = [:]
    /// Files found at the start in directories changed since the run started.
    private var early: Set<String> = []
    /// The full snapshot, when inotify could not be used.
    private var fallback: WorkingDirSnapshot?
    private var truncated = false
    private var excludedKeys: Set<WorkingDirSnapshot.Key> = []

    static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

    private init(root: String, excluding: [String], sinceNanos: Int64) {
        self.root = root; self.excluding = excluding; self.sinceNanos = sinceNanos
    }

    /// Closing an inotify instance waits for the kernel's RCU grace period (16 ms measured here), which
    /// would hold up a supervisor going on to its next run: it is closed on another thread.
    deinit {
        let fd = self.fd
        if fd >= 0 { DispatchQueue.global(qos: .utility).async { close(fd) } }
    }

    /// Watches `root` (but not `excluding`, `__pycache__` or `.git`) for what is written from now on.
    package static func start(root: String, excluding: [String] = [], sinceNanos: Int64,
                              limit: Int = WorkingDirSnapshot.defaultLimit) -> WorkingDirWatch {
        let w = begin(root: root, excluding: excluding, sinceNanos: sinceNanos)
        w.watchRest(limit: limit)
        return w
    }

    /// The part done before the spawn: the instance and the watch on the root directory alone (~20 µs).
    /// Most scripts write straight into their working directory, often rewriting a file another run made
    /// (`plot.html`): such an in-place rewrite does not change the directory's mtime, so it would be missed
    /// if the script did it before the root was watched (a busy machine can delay the rest by 100 ms).
    package static func begin(root: String, excluding: [String] = [], sinceNanos: Int64) -> WorkingDirWatch {
        let w = WorkingDirWatch(root: root, excluding: excluding, sinceNanos: sinceNanos)
        w.fd = spare.withLock { fd in defer { fd = -1 }; return fd }
        if w.fd < 0 { w.fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
        if w.fd >= 0 {
            let wd = inotify_add_watch(w.fd, root, Self.mask)
            if wd >= 0 { w.watched[wd] = "" } else { close(w.fd); w.fd = -1 }
        }
        return w
    }

    /// An instance made ahead of the next run (`prepareInstance`): making one costs ~0.1 ms, which `begin`
    /// would otherwise spend just before the spawn.
    private static let spare = Mutex<Int32>(-1)

    /// Makes the instance the next `begin` of this process takes (a standby while it waits; a supervisor
    /// after each run, in case it goes on to another).
    package static func prepareInstance() {
        spare.withLock { fd in if fd < 0 { fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) } }
    }

    /// The part done while the script already runs: the watches on every subdirectory (or the full
    /// snapshot, when inotify cannot be used).
    package func watchRest(limit: Int = WorkingDirSnapshot.defaultLimit) {
        for dir in excluding {
            var st = stat()
            if stat(dir, &st) == 0 { excludedKeys.insert(.init(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))) }
        }
        var budget = limit
        if fd >= 0, watchTree(budget: &budget) {
            truncated = budget <= 0
            return
        }
        if fd >= 0 { close(fd); fd = -1 }
        watched = [:]; early = []
        fallback = WorkingDirSnapshot.take(root: root, excluding: excluding, limit: limit)
    }

    /// The files created or changed since `start`, sorted by path, and whether a walk stopped at its limit.
    package func finish(limit: Int = WorkingDirSnapshot.defaultLimit) -> (changes: [Change], truncated: Bool) {
        if let fallback {
            let r = fallback.changes(root: root, excluding: excluding, sinceNanos: sinceNanos, limit: limit)
            return (r.changes, r.truncated || fallback.truncated)
        }
        var paths = early
        var newDirs: [String] = []
        var overflow = false
        InotifyEvents.read(fd, bufferSize: 65536) { e in
            if e.mask & UInt32(IN_Q_OVERFLOW) != 0 { overflow = true; return false }
            guard let prefix = watched[e.wd], !e.nameBytes.isEmpty else { return true }
            let name = e.name
            if e.mask & UInt32(IN_ISDIR) != 0 {
                if !WorkingDirSnapshot.skippedNames.contains(name) { newDirs.append(prefix + name) }
            } else {
                paths.insert(prefix + name)
            }
            return true
        }
        if overflow {
            let r = WorkingDirSnapshot().changes(root: root, excluding: excluding, sinceNanos: sinceNanos,
                                                 mtimeOnly: true, limit: limit)
            return (r.changes, r.truncated || truncated)
        }
        var out: [Change] = []
        var truncatedNow = truncated
        // A directory made (or moved in) during the run: everything in it is the run's.
        for dir in Set(newDirs) {
            var st = stat()
            guard lstat(root + "/" + dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR,
                  !excludedKeys.contains(.init(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))) else { continue }
            let r = WorkingDirSnapshot().changes(root: root + "/" + dir, excluding: excluding, sinceNanos: sinceNanos, limit: limit)
            truncatedNow = truncatedNow || r.truncated
            for c in r.changes { paths.remove(dir + "/" + c.path); out.append(Change(path: dir + "/" + c.path, size: c.size, mtimeNanos: c.mtimeNanos)) }
        }
        for p in paths {
            var st = stat()
            guard lstat(root + "/" + p, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            out.append(Change(path: p, size: Int64(st.st_size),
                              mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
        }
        out.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return (out, truncatedNow)
    }

    static func mtime(_ st: stat) -> Int64 { Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec) }

    /// Sets a watch on every directory of the tree. False when a watch could not be set.
    private func watchTree(budget: inout Int) -> Bool {
        var st = stat()
        guard stat(root, &st) == 0 else { return true }
        let dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { return true }
        return watchDir(dfd, prefix: "", dirStat: st, budget: &budget, depth: 0)
    }

    /// Watches the directory open on `dfd` (and closes it), then its subdirectories.
    private func watchDir(_ dfd: Int32, prefix: String, dirStat: stat, budget: inout Int, depth: Int) -> Bool {
        let wd = inotify_add_watch(fd, root + "/" + prefix, Self.mask)
        guard wd >= 0 else { close(dfd); return false }
        watched[wd] = prefix
        let changedDir = Self.mtime(dirStat) >= sinceNanos
        guard let d = fdopendir(dfd) else { close(dfd); return true }
        defer { closedir(d) }
        while let e = readdir(d) {
            if budget <= 0 { return true }
            let result: Bool? = withUnsafeBytes(of: &e.pointee.d_name) { raw -> Bool? in
                let name = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                if raw[0] == 0x2E && (raw[1] == 0 || (raw[1] == 0x2E && raw[2] == 0)) { return nil }
                budget -= 1
                var type = e.pointee.d_type
                var st = stat()
                var haveStat = false
                if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_DIR) || (type == UInt8(DT_REG) && changedDir) {
                    guard fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
                    haveStat = true
                    type = st.st_mode & S_IFMT == S_IFDIR ? UInt8(DT_DIR) : st.st_mode & S_IFMT == S_IFREG ? UInt8(DT_REG) : 0
                }
                if type == UInt8(DT_REG) {
                    // Written before this directory was watched: found by its mtime.
                    if haveStat && Self.mtime(st) >= sinceNanos {
                        early.insert(prefix + String(cString: name))
                    }
                    return nil
                }
                guard type == UInt8(DT_DIR), depth < 64,
                      !excludedKeys.contains(.init(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))) else { return nil }
                let dirName = String(cString: name)
                if WorkingDirSnapshot.skippedNames.contains(dirName) { return nil }
                // A directory without subdirectories (a link count of 2, where the file system counts them)
                // and unchanged since the run started has nothing more to find: its watch is enough.
                if st.st_nlink == 2 && Self.mtime(st) < sinceNanos {
                    let wd = inotify_add_watch(fd, root + "/" + prefix + dirName, Self.mask)
                    guard wd >= 0 else { return false }
                    watched[wd] = prefix + dirName + "/"
                    return nil
                }
                let sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                guard sub >= 0 else { return nil }
                return watchDir(sub, prefix: prefix + dirName + "/", dirStat: st, budget: &budget, depth: depth + 1) ? nil : false
            }
            if result == false { return false }
        }
        return true
    }
}
