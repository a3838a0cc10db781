import Glibc

/// What the regular files under a run's working directory looked like at one moment, keyed by (device,
/// inode) → (size, mtime). Taken when the script starts; `changes` walks the tree again when it has ended
/// and names the files it created or changed there (a `bt.plot()` HTML, a CSV written to a relative path),
/// which `WorkingDirCapture` copies into the run dir (see docs/runs.md). `__pycache__` and `.git`
/// directories, and the directories given as excluded (the runs dir when it lies under the working
/// directory), are not entered; symlinks are neither entered nor listed.
///
/// Cheap by construction (docs/performance.md, `backtest-bench cwdscan`): one `fstatat` per entry relative
/// to its directory's descriptor, no path string for a file unless it changed, integer keys only.
package struct WorkingDirSnapshot: Sendable {
    package init() {}
    package struct Key: Hashable, Sendable { let dev: UInt64; let ino: UInt64 }
    package struct Entry: Sendable, Equatable {
        package var size: Int64
        package var mtimeNanos: Int64
    }

    package private(set) var files: [Key: Entry] = [:]
    /// True when the walk stopped at its limit of entries (a working dir far bigger than a scripts dir).
    package private(set) var truncated = false

    /// Entries looked at, at most, per walk.
    package static let defaultLimit = 200_000

    /// Walks `root`; `excluding` are absolute directories not to enter (compared by device and inode, so a
    /// symlinked spelling does not matter); at most `limit` entries are looked at.
    package static func take(root: String, excluding: [String] = [], limit: Int = defaultLimit) -> WorkingDirSnapshot {
        var snap = WorkingDirSnapshot()
        snap.files.reserveCapacity(1024)
        snap.truncated = walk(root: root, excluding: excluding, limit: limit) { key, entry, _, _ in
            snap.files[key] = entry
        }
        return snap
    }

    /// A file that is new, or changed, since a snapshot.
    package struct Change: Sendable, Equatable {
        package var path: String
        package var size: Int64
        package var mtimeNanos: Int64
    }

    /// Walks `root` again and returns the files that are not in this snapshot (new, or replaced: another
    /// inode), differ from it in size or mtime, or were modified at or after `sinceNanos` (epoch ns): the last
    /// catches what the script wrote before this snapshot was taken (it is taken after the spawn, so that the
    /// script never waits for it). Sorted by path; `truncated` as for a snapshot.
    /// With `mtimeOnly`, only the last counts (the snapshot is not compared with).
    package func changes(root: String, excluding: [String] = [], sinceNanos: Int64, mtimeOnly: Bool = false,
                         limit: Int = defaultLimit) -> (changes: [Change], truncated: Bool) {
        var out: [Change] = []
        let truncated = Self.walk(root: root, excluding: excluding, limit: limit) { key, now, prefix, name in
            if now.mtimeNanos >= sinceNanos || (!mtimeOnly && files[key] != now) {
                out.append(Change(path: prefix + String(cString: name), size: now.size, mtimeNanos: now.mtimeNanos))
            }
        }
        return (out.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }, truncated)
    }

    /// The kernel stamps files with a coarse clock (one tick behind the precise one at most): compared with
    /// mtimes, "now" must be read from the same clock, or a file written right after it could seem older.
    package static func coarseNowNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Calls `visit` for every regular file: its key, size and mtime, the relative path of its directory
    /// (`""` or ending in `/`) and its name. True when it stopped at `limit`.
    private static func walk(root: String, excluding: [String], limit: Int,
                             _ visit: (Key, Entry, String, UnsafePointer<CChar>) -> Void) -> Bool {
        var excluded: Set<Key> = []
        for dir in excluding {
            var st = stat()
            if stat(dir, &st) == 0 { excluded.insert(Key(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))) }
        }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        var budget = limit
        return walkDir(fd, prefix: "", excluded: excluded, budget: &budget, depth: 0, visit)
    }

    /// Reads the directory open on `fd` (and closes it). True when the budget ran out.
    private static func walkDir(_ fd: Int32, prefix: String, excluded: Set<Key>, budget: inout Int, depth: Int,
                                _ visit: (Key, Entry, String, UnsafePointer<CChar>) -> Void) -> Bool {
        guard let d = fdopendir(fd) else { close(fd); return false }
        defer { closedir(d) }
        while let e = readdir(d) {
            let stop: Bool? = withUnsafeBytes(of: &e.pointee.d_name) { raw -> Bool? in
                let name = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                if raw[0] == 0x2E && (raw[1] == 0 || (raw[1] == 0x2E && raw[2] == 0)) { return nil }
                if budget <= 0 { return true }
                budget -= 1
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
                let kind = st.st_mode & S_IFMT
                let key = Key(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
                if kind == S_IFREG {
                    visit(key, Entry(size: Int64(st.st_size),
                                     mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)),
                          prefix, name)
                    return nil
                }
                guard kind == S_IFDIR, depth < 64, !excluded.contains(key) else { return nil }
                let dirName = String(cString: name)
                if skippedNames.contains(dirName) { return nil }
                let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
                guard sub >= 0 else { return nil }
                return walkDir(sub, prefix: prefix + dirName + "/", excluded: excluded, budget: &budget,
                               depth: depth + 1, visit) ? true : nil
            }
            if stop == true { return true }
        }
        return false
    }

    /// Directory names never entered, wherever they are.
    static let skippedNames: Set<String> = ["__pycache__", ".git"]
}
