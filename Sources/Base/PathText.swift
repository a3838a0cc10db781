/// Path arithmetic on `/`-separated strings, without touching the disk. Lexical on purpose: capture must
/// describe paths the way the user wrote them (a symlinked workspace stays under its own name), a script
/// path is checked against the scripts dir before anything is opened, and it is much cheaper than asking
/// the kernel for every candidate. Symlinks are `FileSystem.realpath`'s business.
package enum PathText {
    /// Folds `.`, `..` and repeated slashes: `a/b/../c/./d` → `a/c/d`. Keeps a leading `/` (and `..` never
    /// climbs above it); a relative path stays relative, keeping the `..` that climb above its start.
    package static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." { parts.removeLast(); continue }
                if absolute { continue }
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// `base` joined with `path` (which wins when absolute), normalised. With an absolute `base` the result
    /// is absolute.
    package static func join(_ base: String, _ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(base + "/" + path)
    }

    /// The directory part: `/a/b/c.py` → `/a/b`; `/a` → `/`; `c.py` → `.`.
    package static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component: `/a/b/c.py` → `c.py`.
    package static func fileName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// What follows the last dot of the file name, as written (`py` for `a/b.py`, "" for `a/b.`); nil when
    /// the name has no dot or is a dot file such as `.env`.
    package static func fileExtension(_ path: String) -> String? {
        let name = fileName(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        return String(name[name.index(after: dot)...])
    }

    /// Whether `path` is `dir` or inside it (both normalised absolute paths).
    package static func isInside(_ path: String, _ dir: String) -> Bool {
        path == dir || dir == "/" || path.hasPrefix(dir + "/")
    }

    /// `path` relative to `root` when it lies inside it (both normalised absolute paths), else nil.
    package static func relative(_ path: String, to root: String) -> String? {
        if path == root { return "" }
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        return String(path.dropFirst(prefix.count))
    }
}
