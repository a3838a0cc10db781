import Base
import Glibc

/// Files a run's script created or changed in its working directory (the scripts dir, shared by every run
/// of the workspace): copied into `<run_dir>/cwd_files/<relative path>` when the script has ended, and named
/// in one warning of the record, so that `bt.plot()`'s `SmaCross.html` is kept with the run that wrote it
/// instead of being overwritten by the next run. See docs/runs.md ("Files written to the working directory").
/// Used by the supervisor only: `begin` right before the spawn, `watchRest` right after it (on its own
/// thread), `finish` when the script has ended, before validation and the final record.
struct WorkingDirCapture: Sendable {
    /// The run dir's folder the copies go to.
    static let dirName = "cwd_files"
    /// Names shown in a warning before "and N more".
    static let namesShown = 20
    /// Before/after are compared with this much slack on another run's start and end (ms), since a file's
    /// mtime comes from the kernel's coarse clock.
    static let overlapSlackMillis: Int64 = 20

    let cwd: String
    let paths: RunPaths
    let layout: WorkspaceLayout
    let maxCopyBytes: Int64
    /// Epoch ns from the coarse clock, read before the spawn: a file modified at or after it was modified
    /// while this run lived.
    let sinceNanos: Int64
    let watch: WorkingDirWatch

    /// Whether a run with this spec is looked at: not when its working directory is its own run dir
    /// (`working_dir: "run_dir"`: whatever it writes is already the run's).
    static func applies(cwd: String, runDir: String) -> Bool {
        guard !cwd.isEmpty else { return false }
        let real = FileSystem.realpath(cwd) ?? cwd
        let runReal = FileSystem.realpath(runDir) ?? runDir
        return real != runReal && !PathText.isInside(real, runReal)
    }

    /// Watching begins just before the spawn (the working directory itself) and goes on, while the script
    /// already runs, with `watchRest` (its subdirectories: the script never waits for them).
    static func begin(cwd: String, paths: RunPaths, layout: WorkspaceLayout, maxCopyBytes: Int64,
                      sinceNanos: Int64) -> WorkingDirCapture {
        WorkingDirCapture(cwd: cwd, paths: paths, layout: layout, maxCopyBytes: maxCopyBytes, sinceNanos: sinceNanos,
                          watch: WorkingDirWatch.begin(root: cwd, excluding: [layout.runsDir, paths.runDir], sinceNanos: sinceNanos))
    }

    func watchRest() { watch.watchRest() }

    /// The script has ended: finds what it created or changed, copies it, and returns the warnings for the
    /// record. `startedAt` is the run's start (epoch ms), for other runs that overlapped it.
    func finish(runID: String, startedAt: Int64) -> [String] {
        let (changes, truncated) = watch.finish()
        var warnings: [String] = []
        if truncated {
            warnings.append("the working directory \(cwd) has too many entries to look through: files the script "
                            + "wrote there past the first \(WorkingDirSnapshot.defaultLimit) entries were not looked for")
        }
        guard !changes.isEmpty else { return warnings }

        var copied: [String] = [], tooBig: [String] = [], failed: [String] = []
        for c in changes {
            if c.size > maxCopyBytes || maxCopyBytes == 0 {
                tooBig.append("\(c.path) (\(Self.mebibytes(c.size)))")
                continue
            }
            if let problem = copy(c.path) { failed.append("\(c.path) (\(problem))") } else { copied.append(c.path) }
        }
        var text = "\(changes.count) file\(changes.count == 1 ? "" : "s") created or changed in the working directory "
            + "\(cwd) (the originals are left there)"
        if !copied.isEmpty {
            text += "; copied to \(paths.runDir)/\(Self.dirName)/: " + Self.names(copied)
        }
        if !tooBig.isEmpty {
            text += (maxCopyBytes == 0 ? "; not copied (cwd_copy_max_mb is 0): "
                     : "; not copied, larger than \(Self.mebibytes(maxCopyBytes)) (cwd_copy_max_mb): ") + Self.names(tooBig)
        }
        if !failed.isEmpty { text += "; could not be copied: " + Self.names(failed) }
        warnings.append(text)
        if let overlap = overlapWarning(runID: runID, startedAt: startedAt) { warnings.append(overlap) }
        return warnings
    }

    /// Other runs of the workspace with the same working directory whose lifetime overlapped this one's:
    /// each run takes every file changed while it lived, so a file both wrote is in both runs' copies (each
    /// as it was when that run ended).
    private func overlapWarning(runID: String, startedAt: Int64) -> String? {
        guard let index = try? RunIndex(path: layout.index) else { return nil }
        let now = ISOTime.nowMillis()
        var candidates: [String: RunRecord] = [:]
        for r in (try? index.activeRecords()) ?? [] { candidates[r.runID] = r }
        for r in (try? index.query(RunQuery(untilMillis: now, limit: 200)).runs) ?? [] { candidates[r.runID] = r }
        let store = RunStore(layout: layout, index: nil)
        let myCwd = FileSystem.realpath(cwd) ?? cwd
        var others: [String] = []
        for (id, r) in candidates where id != runID {
            guard let s = r.startedAt, s <= now + Self.overlapSlackMillis else { continue }
            let end = r.completedAt ?? now
            guard end + Self.overlapSlackMillis >= startedAt else { continue }
            if let spec = try? store.loadSpec(paths: layout.run(id)), (FileSystem.realpath(spec.cwd) ?? spec.cwd) != myCwd {
                continue
            }
            others.append(id)
        }
        guard !others.isEmpty else { return nil }
        others.sort()
        let runs = others.count == 1 ? "run \(others[0]) was" : "runs \(others.joined(separator: ", ")) were"
        return "\(runs) running in the same working directory while this run ran: the files above are every file "
            + "changed there during this run, whichever run wrote them; a file both runs wrote is in each run's "
            + "\(Self.dirName)/ as it was when that run ended"
    }

    /// Copies `<cwd>/<rel>` to `<run_dir>/cwd_files/<rel>`, keeping its mtime; nil, or why not.
    private func copy(_ rel: String) -> String? {
        let target = paths.runDir + "/" + Self.dirName + "/" + rel
        do { try FileSystem.makeDirectories(PathText.parent(target)) } catch { return "\(error)" }
        let src = open(cwd + "/" + rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard src >= 0 else { return errnoText() }
        defer { close(src) }
        let dst = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard dst >= 0 else { return errnoText() }
        defer { close(dst) }
        var buf = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let n = buf.withUnsafeMutableBytes { read(src, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return errnoText() }
            if n == 0 { break }
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { write(dst, $0.baseAddress! + off, n - off) }
                if w < 0 { if errno == EINTR { continue }; let e = errnoText(); unlink(target); return e }
                off += w
            }
        }
        var st = stat()
        if fstat(src, &st) == 0 {
            var times = [st.st_atim, st.st_mtim]
            _ = futimens(dst, &times)
        }
        return nil
    }

    static func names(_ list: [String]) -> String {
        let shown = list.prefix(namesShown).joined(separator: ", ")
        return list.count > namesShown ? shown + " and \(list.count - namesShown) more" : shown
    }

    static func mebibytes(_ bytes: Int64) -> String {
        let m = Double(bytes) / 1_048_576
        return m.rounded() == m ? "\(Int(m)) MiB" : "\((m * 10).rounded() / 10) MiB"
    }
}
