import Base
import Glibc
import JSON

/// The git state of the folder a script lives in: which commit, which branch, and whether (and how) the
/// working tree differs from it.
public struct GitInfo: Sendable, Equatable {
    /// The checked-out commit; nil on a branch with no commits yet.
    public var commit: String?
    /// The branch name, or nil when HEAD is detached.
    public var branch: String?
    /// True when tracked files differ from the commit, or untracked (not ignored) files exist.
    public var dirty: Bool
    /// `git diff HEAD` (staged and unstaged changes to tracked files) when dirty; nil when clean.
    public var diff: String?
    /// Untracked files that are not ignored, relative to the repository root (a wholly untracked folder
    /// as `dir/`, at most `untrackedLimit`). They are not in the diff, so they are named here.
    public var untracked: [String]
    /// The repository's top-level folder.
    public var root: String

    public init(commit: String?, branch: String?, dirty: Bool, diff: String?, untracked: [String] = [], root: String) {
        self.commit = commit
        self.branch = branch
        self.dirty = dirty
        self.diff = diff
        self.untracked = untracked
        self.root = root
    }

    /// The file name, inside `code/`, the diff is saved under when the tree is dirty.
    public static let diffFileName = "git.diff"

    /// At most this many untracked entries are listed (untracked folders count once, as `dir/`).
    public static let untrackedLimit = 500

    /// Asks git about `directory`. Nil when it is not in a work tree or git is not installed. Costs four
    /// short git runs (~5 ms each); `GIT_OPTIONAL_LOCKS=0` keeps `status` from taking the index lock, so
    /// concurrent runs and the user's own git commands never collide.
    ///
    /// - Parameter excluding: folders to leave out of `dirty`, the diff and the untracked list, typically
    ///   the runs folder: when the workspace is a repository that does not ignore it, every run's own output
    ///   would otherwise make the tree dirty.
    public static func collect(directory: String, excluding: [String] = []) -> GitInfo? {
        // Asking git costs a process (~3 ms, on the path of every short run); a folder with no `.git` above
        // it is in no work tree, unless GIT_DIR points elsewhere.
        guard getenv("GIT_DIR") != nil || hasGitAbove(directory) else { return nil }
        let env = ["GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"]
        func git(_ args: [String]) -> CommandRunner.Output? {
            CommandRunner.run("git", ["--no-pager", "-c", "color.ui=false", "-C", directory] + args, environment: env, timeout: 30)
        }
        guard let top = git(["rev-parse", "--show-toplevel"]), top.status == 0 else { return nil }
        let root = top.text.trimmingNewlines()
        // git prints the root with symlinks resolved, so the excluded folders are resolved the same way.
        var pathspec: [String] = []
        for folder in excluding {
            if let rel = PathText.relative(FileSystem.realpath(folder) ?? folder, to: root), !rel.isEmpty {
                pathspec.append(":(top,exclude)" + rel)
            }
        }
        if !pathspec.isEmpty { pathspec = ["--", ":(top)"] + pathspec }
        var commit: String?
        if let head = git(["rev-parse", "--verify", "--quiet", "HEAD"]), head.status == 0 {
            commit = head.text.trimmingNewlines()
        }
        var branch: String?
        if let ref = git(["symbolic-ref", "--quiet", "--short", "HEAD"]), ref.status == 0 {
            branch = ref.text.trimmingNewlines()
        }
        var untracked: [String] = []
        var changedTracked = false
        if let status = git(["status", "--porcelain=v1", "-z", "--untracked-files=normal"] + pathspec), status.status == 0 {
            // -z: entries separated by NUL, paths unquoted; a rename entry is followed by its source path.
            let entries = status.stdout.split(separator: 0, omittingEmptySubsequences: true)
            var skipNext = false
            for entry in entries {
                if skipNext { skipNext = false; continue }
                let text = String(decoding: entry, as: UTF8.self)
                guard text.count > 3 else { continue }
                let code = text.prefix(2)
                let path = String(text.dropFirst(3))
                if code == "??" {
                    if untracked.count < untrackedLimit { untracked.append(path) }
                } else {
                    changedTracked = true
                }
                if code.first == "R" || code.first == "C" { skipNext = true }
            }
        }
        var diff: String?
        if changedTracked {
            // With no commit yet there is nothing to diff against: show what is staged instead.
            let args = commit == nil ? ["diff", "--no-color", "--no-ext-diff", "--cached"]
                                     : ["diff", "--no-color", "--no-ext-diff", "HEAD"]
            if let d = git(args + pathspec), d.status == 0 { diff = d.text }
        }
        let dirty = changedTracked || !untracked.isEmpty
        return GitInfo(commit: commit, branch: branch, dirty: dirty, diff: dirty ? (diff ?? "") : nil,
                       untracked: untracked, root: root)
    }

    /// `{commit, branch, dirty, diff_file?, untracked?, root}` for the metadata document. The diff itself is
    /// not inlined (it can be large); it lives in `code/git.diff`.
    /// Whether `directory` or a parent holds `.git` (a folder, or the file a worktree or submodule has).
    static func hasGitAbove(_ directory: String) -> Bool {
        var dir = PathText.normalize(FileSystem.realpath(directory) ?? directory)
        while true {
            if FileSystem.exists(dir + "/.git") { return true }
            let up = PathText.parent(dir)
            if up == dir || dir.isEmpty { return false }
            dir = up
        }
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o["commit"] = .from(commit)
        o["branch"] = .from(branch)
        o["dirty"] = .bool(dirty)
        if dirty { o["diff_file"] = .string("code/" + GitInfo.diffFileName) }
        if !untracked.isEmpty { o["untracked"] = .from(untracked) }
        o["root"] = .string(root)
        return .object(o)
    }

    /// Saves the diff as `<codeDir>/git.diff` when the tree is dirty; returns the path written, or nil when
    /// there was nothing to save.
    @discardableResult
    public func saveDiff(codeDir: String) throws -> String? {
        guard dirty, let diff else { return nil }
        try FileSystem.makeDirectories(codeDir)
        let path = codeDir + "/" + GitInfo.diffFileName
        try AtomicFile.write(Array(diff.utf8), to: path)
        return path
    }
}
