import Base
import JSON

/// The interpreter that ran a script, as it really is: what Python itself reports as `sys.executable` (a
/// venv's own bin/python, a pyenv shim seen through), its version, and for Python its installed
/// distributions.
public struct InterpreterInfo: Sendable, Equatable {
    /// The executable (`sys.executable` for Python).
    public var path: String
    /// `3.11.7` for Python; the first line of `--version` for anything else.
    public var version: String
    /// Python only: every installed distribution (`importlib.metadata`), name → version; nil when not asked
    /// (not a Python) or unknown (a Python older than 3.8).
    public var packages: [String: String]?
    /// Python only: the directories on its `sys.path` (site-packages, the standard library) with their
    /// modification times when it was asked. Installing, upgrading or removing a package changes its
    /// site-packages directory's mtime, so a changed stamp means the cached answer is stale.
    public var siteDirs: [String: Int64]

    public init(path: String, version: String, packages: [String: String]? = nil, siteDirs: [String: Int64] = [:]) {
        self.path = path
        self.version = version
        self.packages = packages
        self.siteDirs = siteDirs
    }

    /// `{path, version}`: the metadata document's `interpreter`.
    public func json() -> JSONValue {
        .object(JSONObject(pairs: [("path", .string(path)), ("version", .string(version))]))
    }

    /// The packages as a JSON object sorted by name (case-insensitively), or null.
    public func packagesJSON() -> JSONValue {
        guard let packages else { return .null }
        var o = JSONObject()
        for name in packages.keys.sorted(by: { ($0.lowercased(), $0) < ($1.lowercased(), $1) }) {
            o[name] = .string(packages[name]!)
        }
        return .object(o)
    }

    /// True while every recorded site directory still has the modification time it had when asked.
    public var isCurrent: Bool {
        siteDirs.allSatisfy { dir, mtime in FileSystem.fingerprint(dir)?.mtimeNanos == mtime }
    }

    /// What the shared cache file keeps.
    func cacheJSON() -> JSONValue {
        var o = JSONObject()
        o["path"] = .string(path)
        o["version"] = .string(version)
        if packages != nil { o["packages"] = packagesJSON() }
        if !siteDirs.isEmpty {
            var d = JSONObject()
            for k in siteDirs.keys.sorted() { d[k] = .int(siteDirs[k]!) }
            o["site_dirs"] = .object(d)
        }
        return .object(o)
    }

    init?(cacheJSON value: JSONValue) {
        guard let path = value["path"].stringValue, let version = value["version"].stringValue else { return nil }
        self.path = path
        self.version = version
        if case .object(let p) = value["packages"] {
            var out: [String: String] = [:]
            for (k, v) in p { if let s = v.stringValue { out[k] = s } }
            packages = out
        } else { packages = nil }
        var dirs: [String: Int64] = [:]
        if case .object(let d) = value["site_dirs"] {
            for (k, v) in d { if case .int(let n) = v { dirs[k] = n } else if let n = v.intValue { dirs[k] = Int64(n) } }
        }
        siteDirs = dirs
    }
}
