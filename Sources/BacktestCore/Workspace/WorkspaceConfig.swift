import Base
import Glibc
import JSON
import Provenance

/// A workspace's settings: its root (decided by the server: `--workspace`, else the client's rootUri/rootPath,
/// else the current directory) and what the optional `backtest-rpc.json` at that root says. Every key is
/// checked when the file is read, so that a typo or a wrong type is an error naming the key, not a surprise
/// in the middle of a run. See docs/configuration.md.
public struct WorkspaceConfig: Sendable, Equatable {
    /// The file name looked for at the root.
    public static let fileName = "backtest-rpc.json"

    /// Absolute workspace root (symlinks resolved).
    public let root: String
    /// The config file, when there is one.
    public let path: String?
    /// Absolute directory scripts are named relative to (`scripts_dir`, default the root).
    public let scriptsDir: String
    /// Absolute runs directory (`runs_dir`, default `backtests`).
    public let runsDir: String
    /// Runs allowed to run at once in the whole workspace, whichever process started them.
    public let maxParallel: Int
    /// Interpreter command by file extension (with its dot: `.py`). An empty command means "none": the file
    /// must be executable itself.
    public let interpreters: [String: [String]]
    /// Timeout applied to runs that do not set one; nil: none.
    public let defaultTimeoutSeconds: Double?
    /// The argument that tells a script where to write (`--output_dir`); nil: pass it only in the environment.
    public let outputDirArg: String?
    /// Environment added to every run.
    public let env: [String: String]
    /// Seconds between SIGTERM and SIGKILL when a run is cancelled or times out.
    public let killGraceSeconds: Double
    /// Name fragments the workspace adds to the built-in secret markers (`secret_names`).
    public let secretNames: [String]
    /// Where scripts run: the scripts dir (default; files they write there are copied into the run dir when
    /// they end) or each run's own run dir (`working_dir`).
    public let workingDir: WorkingDir
    public enum WorkingDir: String, Sendable, Equatable, CaseIterable { case scriptsDir = "scripts_dir", runDir = "run_dir" }
    /// Files a script writes into the scripts dir are copied into its run dir up to this size each
    /// (`cwd_copy_max_mb`, default 64 MiB); bigger ones are only named in the record's warning.
    public let cwdCopyMaxBytes: Int64
    /// What a rerun may differ in (`reproduction`): see docs/provenance.md.
    public let reproduction: ReproductionRules
    /// Where runs execute: this machine, or a Slurm cluster (`executor`).
    public let executor: Executor
    /// The whole file as written, for the sections other modules read (`validation`, `profiles`).
    public let raw: JSONObject

    /// Top-level keys this module reads.
    public static let knownKeys = [
        "scripts_dir", "runs_dir", "max_parallel", "interpreters", "default_timeout_s", "output_dir_arg", "env",
        "kill_grace_s", "secret_names", "working_dir", "cwd_copy_max_mb", "reproduction", "executor",
    ]
    /// Top-level keys that are allowed but read elsewhere (or by editors).
    public static let passThroughKeys = ["validation", "profiles", "$schema"]
    /// Names the core sets for every run; a config may not set them.
    public static let reservedEnv: Set<String> = ["BACKTEST_RUN_ID", "BACKTEST_OUTPUT_DIR", "BACKTEST_RUN_DIR"]

    /// The file layout of the shared state under the runs dir.
    public var layout: WorkspaceLayout { WorkspaceLayout(root: root, runsDir: runsDir) }

    /// Reads `<root>/backtest-rpc.json` if it exists. `root` must be an existing directory. `runsDir`, when
    /// given, is the runs dir chosen by whoever runs the server (`--runs-dir`, their user config, or the
    /// layout a supervisor was started with): it wins over the file's `runs_dir`, and may lie anywhere.
    public static func load(root: String, runsDir: String? = nil) throws(CoreError) -> WorkspaceConfig {
        guard let absRoot = FileSystem.realpath(root) else {
            throw .workspace(path: root, reason: "the workspace root does not exist")
        }
        let file = absRoot + "/" + fileName
        guard FileSystem.exists(file) else {
            return try WorkspaceConfig(root: absRoot, path: nil, object: [:], runsDirOverride: runsDir)
        }
        let reader: ConfigReader
        do { reader = try ConfigReader.load(file: file) } catch {
            throw .configInvalid(path: file, key: error.key, reason: error.reason)
        }
        return try WorkspaceConfig(root: absRoot, path: file, object: reader.object, runsDirOverride: runsDir)
    }

    /// Builds a config from an already parsed object (tests, and `load`). `root` must be absolute.
    public init(root: String, path: String?, object: JSONObject, runsDirOverride: String? = nil) throws(CoreError) {
        let r = ConfigReader(object, path: "")
        do throws(ConfigError) {
            try r.checkKeys(suggestingNearestOf: Self.knownKeys + Self.passThroughKeys)
            self.root = root
            self.path = path
            self.raw = object
            scriptsDir = PathText.join(root, try r.nonEmptyString("scripts_dir") ?? ".")
            guard FileSystem.isDirectory(scriptsDir) else { throw r.error("scripts_dir", "\(scriptsDir) is not a directory") }
            if let runsDirOverride {
                // The operator's choice, absolute (the server makes it so; a relative one is taken from `/`).
                runsDir = PathText.join("/", runsDirOverride)
            } else {
                runsDir = PathText.join(root, try r.nonEmptyString("runs_dir") ?? "backtests")
                if runsDir == root { throw r.error("runs_dir", "must not be the workspace root itself") }
                try Self.checkContained(runsDir: runsDir, root: root, r)
            }
            if runsDir == root { throw r.error("runs_dir", "must not be the workspace root itself") }
            maxParallel = try r.integer("max_parallel", in: 1...1024) ?? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            executor = try Executor.read(r, maxParallel: maxParallel)
            interpreters = try Self.interpreters(r)
            if let t = try r.number("default_timeout_s", naming: .type) {
                guard t > 0 else { throw r.error("default_timeout_s", "must be greater than 0, got \(t)") }
                defaultTimeoutSeconds = t
            } else { defaultTimeoutSeconds = nil }
            outputDirArg = try Self.outputDirArg(r)
            env = try Self.env(r)
            if let g = try r.number("kill_grace_s", naming: .type) {
                guard g >= 0, g <= 3600 else { throw r.error("kill_grace_s", "must be between 0 and 3600, got \(g)") }
                killGraceSeconds = g
            } else { killGraceSeconds = 5 }
            secretNames = try Self.secretNames(r)
            reproduction = try Self.reproduction(r)
            if let w = try r.string("working_dir") {
                guard let v = WorkingDir(rawValue: w) else {
                    throw r.error("working_dir", "expected \"scripts_dir\" or \"run_dir\", got \"\(w)\"")
                }
                workingDir = v
            } else { workingDir = .scriptsDir }
            if let mb = try r.number("cwd_copy_max_mb", naming: .type) {
                guard mb >= 0, mb <= 1_048_576 else { throw r.error("cwd_copy_max_mb", "must be between 0 and 1048576, got \(mb)") }
                cwdCopyMaxBytes = Int64(mb * 1_048_576)
            } else { cwdCopyMaxBytes = RunSpec.defaultCwdCopyMaxBytes }
        } catch {
            throw .configInvalid(path: path ?? root + "/" + Self.fileName, key: error.key, reason: error.reason)
        }
    }

    /// The repository's `runs_dir` must stay inside the workspace, symlinks included: the server creates and
    /// writes there, often as root, and the file comes with whatever repository is opened. A runs dir
    /// elsewhere is the server operator's choice (`--runs-dir`, or their user config), not the repository's.
    static func checkContained(runsDir: String, root: String, _ r: ConfigReader) throws(ConfigError) {
        let real = FileSystem.resolveExistingPrefix(runsDir)
        guard real != root, PathText.isInside(real, root) else {
            throw r.error("runs_dir", "\(real) is outside the workspace \(root); a runs dir elsewhere is set by whoever "
                          + "runs the server: `backtest-rpc --runs-dir DIR`, or \"workspaces\": {\"\(root)\": {\"runs_dir\": DIR}} "
                          + "in ~/.config/backtest-rpc/config.json")
        }
    }

    /// `interpreters`: extension → command, over the default `.py` → `python3`. An empty command (null or "")
    /// means "none": the file must be executable itself.
    static func interpreters(_ r: ConfigReader) throws(ConfigError) -> [String: [String]] {
        var interps: [String: [String]] = [".py": ["python3"]]
        guard let o = try r.child("interpreters", expected: "an object of extension → command") else { return interps }
        for (ext, cmd) in o.object {
            let key = o.quotedKey(ext)
            let dotted = ext.hasPrefix(".") ? ext : "." + ext
            guard dotted.count > 1, !dotted.dropFirst().contains("."), !dotted.contains("/") else {
                throw ConfigError(key: key, reason: "expected a file extension such as \".py\"")
            }
            switch cmd {
            case .null: interps[dotted] = []
            case .string(let s):
                guard !s.isEmpty else { interps[dotted] = []; continue }
                interps[dotted] = [s]
            case .array(let a):
                let parts = a.compactMap(\.stringValue)
                guard parts.count == a.count, let first = parts.first, !first.isEmpty else {
                    throw ConfigError(key: key, reason: "expected a command: a string or a non-empty array of strings")
                }
                interps[dotted] = parts
            default:
                throw ConfigError(key: key, reason: "expected a command: a string, an array of strings or null, got \(cmd.typeName)")
            }
        }
        return interps
    }

    /// `output_dir_arg`: absent means `--output_dir`; null or "" means none (the environment only).
    static func outputDirArg(_ r: ConfigReader) throws(ConfigError) -> String? {
        guard let v = r.object["output_dir_arg"] else { return "--output_dir" }
        switch v {
        case .null: return nil
        case .string(let s): return s.isEmpty ? nil : s
        default: throw r.error("output_dir_arg", "expected a string or null, got \(v.typeName)")
        }
    }

    /// `env`: name → value added to every run's environment.
    static func env(_ r: ConfigReader) throws(ConfigError) -> [String: String] {
        var env: [String: String] = [:]
        guard let o = try r.child("env", expected: "an object of name → string") else { return env }
        for (name, value) in o.object {
            let key = o.quotedKey(name)
            if let problem = envNameProblem(name) { throw ConfigError(key: key, reason: problem) }
            guard let s = value.stringValue else { throw ConfigError(key: key, reason: "expected a string value, got \(value.typeName)") }
            guard !s.utf8.contains(0) else { throw ConfigError(key: key, reason: "contains a NUL byte") }
            env[name] = s
        }
        return env
    }

    /// `secret_names`: name fragments added to the built-in secret markers.
    static func secretNames(_ r: ConfigReader) throws(ConfigError) -> [String] {
        guard let v = r.value("secret_names") else { return [] }
        guard let a = v.arrayValue, let names = Optional(a.compactMap(\.stringValue)), names.count == a.count,
              !names.contains(where: \.isEmpty) else {
            throw r.error("secret_names", "expected an array of non-empty name fragments such as [\"BROKER\"]")
        }
        return names
    }

    /// `reproduction`: `{"ignore_files": [path or pattern], "ignore_json_keys": {path: [member name]}}`.
    static func reproduction(_ r: ConfigReader) throws(ConfigError) -> ReproductionRules {
        guard let c = try r.child("reproduction", expected: "an object with ignore_files and ignore_json_keys") else {
            return .none
        }
        try c.checkKeys(suggestingNearestOf: ["ignore_files", "ignore_json_keys"])
        let files = try c.strings("ignore_files") ?? []
        if files.contains(where: \.isEmpty) { throw c.error("ignore_files", "a path must not be empty") }
        var keys: [String: [String]] = [:]
        if let k = try c.child("ignore_json_keys", expected: "an object of result file → array of JSON member names") {
            for (file, value) in k.object {
                guard let a = value.arrayValue, let names = Optional(a.compactMap(\.stringValue)), names.count == a.count,
                      !file.isEmpty else {
                    throw ConfigError(key: k.quotedKey(file), reason: "expected an array of JSON member names such as [\"execution_timestamp\"]")
                }
                keys[file] = names
            }
        }
        return ReproductionRules(ignoreFiles: files, ignoreJSONKeys: keys)
    }

    /// How this workspace hides secrets in what it writes (records, index, metadata, notifications).
    public var redaction: SecretRedaction { SecretRedaction(extraNames: secretNames) }

    /// Why `name` cannot be an environment variable set for a run, or nil when it can.
    static func envNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "an empty variable name" }
        if name.utf8.contains(where: { $0 == UInt8(ascii: "=") || $0 == 0 }) { return "a variable name cannot contain '=' or NUL" }
        if reservedEnv.contains(name) { return "\(name) is set by backtest-rpc for every run and cannot be overridden" }
        return nil
    }
}
