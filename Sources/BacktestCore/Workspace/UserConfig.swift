import Base
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
        guard let path, FileSystem.exists(path) else { return UserConfig() }
        do throws(ConfigError) {
            return try parse(ConfigReader.load(file: path), path: path)
        } catch {
            throw .configInvalid(path: path, key: error.key, reason: error.reason)
        }
    }

    static func parse(_ r: ConfigReader, path: String) throws(ConfigError) -> UserConfig {
        try r.checkKeys(["workspaces"])
        var config = UserConfig(path: path)
        guard let workspaces = r.value("workspaces") else { return config }
        guard let entries = workspaces.objectValue else { throw r.error("workspaces", "expected an object of workspace root → settings") }
        let w = ConfigReader(entries, path: r.key("workspaces"))
        for (root, settings) in entries {
            let key = w.quotedKey(root)
            guard root.hasPrefix("/") else { throw ConfigError(key: key, reason: "a workspace root must be an absolute path") }
            guard let s = settings.objectValue else {
                throw ConfigError(key: key, reason: "expected an object such as {\"runs_dir\": \"/scratch/runs\"}")
            }
            for (k, _) in s where k != "runs_dir" { throw ConfigError(key: key + "." + k, reason: "unknown key (known: runs_dir)") }
            guard let dir = s["runs_dir"]?.stringValue, dir.hasPrefix("/") else {
                throw ConfigError(key: key + ".runs_dir", reason: "expected an absolute path")
            }
            config.runsDirs[FileSystem.realpath(root) ?? PathText.normalize(root)] = PathText.normalize(dir)
        }
        return config
    }

    /// The runs dir this person chose for the workspace at `root` (absolute, symlinks resolved), if any.
    public func runsDir(forRoot root: String) -> String? { runsDirs[root] }
}
