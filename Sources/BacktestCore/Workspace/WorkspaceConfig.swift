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
    /// The whole file as written, for the sections other modules read (`validation`, `profiles`).
    public let raw: JSONObject

    /// The repository's `runs_dir` must stay inside the workspace, symlinks included: the server creates and
    /// writes there, often as root, and the file comes with whatever repository is opened. A runs dir
    /// elsewhere is the server operator's choice (`--runs-dir`, or their user config), not the repository's.
    static func checkContained(runsDir: String, root: String,
                               bad: (String, String) -> CoreError) throws(CoreError) {
        let real = PathOps.resolveExistingPrefix(runsDir)
        guard real != root, PathOps.isInside(real, root) else {
            throw bad("runs_dir", "\(real) is outside the workspace \(root); a runs dir elsewhere is set by whoever "
                      + "runs the server: `backtest-rpc --runs-dir DIR`, or \"workspaces\": {\"\(root)\": {\"runs_dir\": DIR}} "
                      + "in ~/.config/backtest-rpc/config.json")
        }
    }

    /// Top-level keys this module reads.
    public static let knownKeys = [
        "scripts_dir", "runs_dir", "max_parallel", "interpreters", "default_timeout_s", "output_dir_arg", "env",
        "kill_grace_s", "secret_names",
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
        guard let absRoot = PathOps.realpath(root) else {
            throw .workspace(path: root, reason: "the workspace root does not exist")
        }
        let file = absRoot + "/" + fileName
        guard PathOps.exists(file) else {
            return try WorkspaceConfig(root: absRoot, path: nil, object: [:], runsDirOverride: runsDir)
        }
        guard let bytes = AtomicFile.read(file) else {
            throw .configInvalid(path: file, key: "", reason: "cannot be read: \(errnoText())")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw .configInvalid(path: file, key: "", reason: "not valid JSON: \(error.description)")
        }
        guard let object = value.objectValue else {
            throw .configInvalid(path: file, key: "", reason: "expected a JSON object, got \(value.typeName)")
        }
        return try WorkspaceConfig(root: absRoot, path: file, object: object, runsDirOverride: runsDir)
    }

    /// Builds a config from an already parsed object (tests, and `load`). `root` must be absolute.
    public init(root: String, path: String?, object: JSONObject, runsDirOverride: String? = nil) throws(CoreError) {
        let where_ = path ?? root + "/" + Self.fileName
        func bad(_ key: String, _ reason: String) -> CoreError { .configInvalid(path: where_, key: key, reason: reason) }

        for (key, _) in object where !Self.knownKeys.contains(key) && !Self.passThroughKeys.contains(key) {
            var reason = "unknown key"
            if let near = Self.nearestKey(to: key) { reason += " (did you mean \(near)?)" }
            throw bad(key, reason)
        }

        func directory(_ key: String, default def: String) throws(CoreError) -> String {
            guard let v = object[key], !v.isNull else { return PathOps.join(root, def) }
            guard let s = v.stringValue, !s.isEmpty else { throw bad(key, "expected a non-empty string, got \(v.typeName)") }
            guard !s.utf8.contains(0) else { throw bad(key, "contains a NUL byte") }
            return PathOps.join(root, s)
        }
        func number(_ key: String) throws(CoreError) -> Double? {
            guard let v = object[key], !v.isNull else { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw bad(key, "expected a number, got \(v.typeName)") }
            return d
        }

        self.root = root
        self.path = path
        self.raw = object
        scriptsDir = try directory("scripts_dir", default: ".")
        guard PathOps.isDirectory(scriptsDir) else { throw bad("scripts_dir", "\(scriptsDir) is not a directory") }
        if let runsDirOverride {
            runsDir = PathOps.normalize(runsDirOverride)
        } else {
            runsDir = try directory("runs_dir", default: "backtests")
            if runsDir == root { throw bad("runs_dir", "must not be the workspace root itself") }
            try Self.checkContained(runsDir: runsDir, root: root, bad: bad)
        }
        if runsDir == root { throw bad("runs_dir", "must not be the workspace root itself") }

        if let v = object["max_parallel"], !v.isNull {
            guard let n = v.intValue else { throw bad("max_parallel", "expected an integer, got \(v.typeName == "number" ? "a fraction" : v.typeName)") }
            guard (1...1024).contains(n) else { throw bad("max_parallel", "must be between 1 and 1024, got \(n)") }
            maxParallel = n
        } else {
            maxParallel = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        }

        var interps: [String: [String]] = [".py": ["python3"]]
        if let v = object["interpreters"], !v.isNull {
            guard let o = v.objectValue else { throw bad("interpreters", "expected an object of extension → command, got \(v.typeName)") }
            for (ext, cmd) in o {
                let key = "interpreters[\"\(ext)\"]"
                let dotted = ext.hasPrefix(".") ? ext : "." + ext
                guard dotted.count > 1, !dotted.dropFirst().contains("."), !dotted.contains("/") else {
                    throw bad(key, "expected a file extension such as \".py\"")
                }
                switch cmd {
                case .null: interps[dotted] = []
                case .string(let s):
                    guard !s.isEmpty else { interps[dotted] = []; continue }
                    interps[dotted] = [s]
                case .array(let a):
                    let parts = a.compactMap(\.stringValue)
                    guard parts.count == a.count, let first = parts.first, !first.isEmpty else {
                        throw bad(key, "expected a command: a string or a non-empty array of strings")
                    }
                    interps[dotted] = parts
                default: throw bad(key, "expected a command: a string, an array of strings or null, got \(cmd.typeName)")
                }
            }
        }
        interpreters = interps

        if let t = try number("default_timeout_s") {
            guard t > 0 else { throw bad("default_timeout_s", "must be greater than 0, got \(t)") }
            defaultTimeoutSeconds = t
        } else { defaultTimeoutSeconds = nil }

        if let v = object["output_dir_arg"] {
            switch v {
            case .null: outputDirArg = nil
            case .string(let s) where s.isEmpty: outputDirArg = nil
            case .string(let s): outputDirArg = s
            default: throw bad("output_dir_arg", "expected a string or null, got \(v.typeName)")
            }
        } else { outputDirArg = "--output_dir" }

        var env: [String: String] = [:]
        if let v = object["env"], !v.isNull {
            guard let o = v.objectValue else { throw bad("env", "expected an object of name → string, got \(v.typeName)") }
            for (name, value) in o {
                let key = "env[\"\(name)\"]"
                if let problem = Self.envNameProblem(name) { throw bad(key, problem) }
                guard let s = value.stringValue else { throw bad(key, "expected a string value, got \(value.typeName)") }
                guard !s.utf8.contains(0) else { throw bad(key, "contains a NUL byte") }
                env[name] = s
            }
        }
        self.env = env

        if let g = try number("kill_grace_s") {
            guard g >= 0, g <= 3600 else { throw bad("kill_grace_s", "must be between 0 and 3600, got \(g)") }
            killGraceSeconds = g
        } else { killGraceSeconds = 5 }

        if let v = object["secret_names"], !v.isNull {
            guard let a = v.arrayValue, let names = Optional(a.compactMap(\.stringValue)), names.count == a.count,
                  !names.contains(where: \.isEmpty) else {
                throw bad("secret_names", "expected an array of non-empty name fragments such as [\"BROKER\"]")
            }
            secretNames = names
        } else { secretNames = [] }
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

    /// The known key closest to a mistyped one (edit distance ≤ 3), for the error message.
    static func nearestKey(to key: String) -> String? {
        let a = Array(key.lowercased().utf8)
        var best: (String, Int)?
        for k in knownKeys + passThroughKeys {
            let b = Array(k.utf8)
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            let d = prev[b.count]
            if d <= 3, best == nil || d < best!.1 { best = (k, d) }
        }
        return best?.0
    }
}
