import Glibc
import JSON

/// Settings that belong to the person running the server, not to the repository it serves:
/// `$XDG_CONFIG_HOME/backtest-rpc/config.json` (default `~/.config/backtest-rpc/config.json`).
///
/// A repository's `backtest-rpc.json` is written by whoever wrote the repository, and the server may run as
/// root; so what reaches outside the workspace (a runs dir on a cluster's shared scratch space) is decided
/// here or on the server's command line, never by the repository. The file is optional:
///
///     {"workspaces": {"/home/me/strategies": {"runs_dir": "/scratch/me/strategies-runs"}}}
public struct UserConfig: Sendable, Equatable {
    /// Runs dir by absolute workspace root (symlinks resolved).
    public var runsDirs: [String: String] = [:]
    /// The file read, when there was one.
    public var path: String?

    public init(runsDirs: [String: String] = [:], path: String? = nil) {
        self.runsDirs = runsDirs
        self.path = path
    }

    /// Where the file is looked for, from the environment.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/backtest-rpc/config.json" }
        if let home = environment["HOME"], home.hasPrefix("/") { return home + "/.config/backtest-rpc/config.json" }
        return nil
    }

    /// Reads the file at `path`; a missing file is an empty config, an unreadable or malformed one an error
    /// naming the key.
    public static func load(path: String?) throws(CoreError) -> UserConfig {
        guard let path, PathOps.exists(path) else { return UserConfig() }
        func bad(_ key: String, _ reason: String) -> CoreError { .configInvalid(path: path, key: key, reason: reason) }
        guard let bytes = AtomicFile.read(path) else { throw bad("", "cannot be read: \(errnoText())") }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw bad("", "not valid JSON: \(error.description)") }
        guard let object = value.objectValue else { throw bad("", "expected a JSON object, got \(value.typeName)") }
        for (key, _) in object where key != "workspaces" { throw bad(key, "unknown key (known: workspaces)") }
        var config = UserConfig(path: path)
        guard let workspaces = object["workspaces"], !workspaces.isNull else { return config }
        guard let entries = workspaces.objectValue else { throw bad("workspaces", "expected an object of workspace root → settings") }
        for (root, settings) in entries {
            let key = "workspaces[\"\(root)\"]"
            guard root.hasPrefix("/") else { throw bad(key, "a workspace root must be an absolute path") }
            guard let s = settings.objectValue else { throw bad(key, "expected an object such as {\"runs_dir\": \"/scratch/runs\"}") }
            for (k, _) in s where k != "runs_dir" { throw bad(key + "." + k, "unknown key (known: runs_dir)") }
            guard let dir = s["runs_dir"]?.stringValue, dir.hasPrefix("/") else {
                throw bad(key + ".runs_dir", "expected an absolute path")
            }
            config.runsDirs[PathOps.realpath(root) ?? PathOps.normalize(root)] = PathOps.normalize(dir)
        }
        return config
    }

    /// The runs dir this person chose for the workspace at `root` (absolute, symlinks resolved), if any.
    public func runsDir(forRoot root: String) -> String? { runsDirs[root] }
}
