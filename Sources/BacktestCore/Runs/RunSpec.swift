import JSON

/// How to start a run, decided by the server when the run is submitted and read by the supervisor that
/// starts it, possibly much later and from another process. Kept in `<run_dir>/.spec.json` (mode 0600,
/// because `env` may hold secrets that must not show in `status`).
public struct RunSpec: Sendable, Equatable {
    /// Absolute path of the program to exec (the resolved interpreter, or the script itself).
    public var executable: String
    /// Full argv, argv[0] included.
    public var argv: [String]
    /// What the run adds to the inherited environment (config env, run env, BACKTEST_* and PYTHONUNBUFFERED).
    public var envAdded: [String: String]
    /// The environment of the process that submitted the run, which the script inherits. A queued run may
    /// be started by another process, so it is recorded rather than taken from whoever starts it.
    public var baseEnv: [String: String]
    public var cwd: String
    public var timeoutSeconds: Double?
    public var killGraceSeconds: Double
    public var profile: String?
    /// Absolute path of the script as the user named it (for provenance).
    public var scriptPath: String
    public var workspaceRoot: String
    public var inputs: [String]
    /// The params and args as the client sent them. The record shows them with secrets masked; a rerun
    /// needs the real values, and this file is the one place that keeps them.
    public var params: JSONObject
    public var args: [String]
    /// The argument that named the results dir on the command line (nil: none was passed). Kept to explain a
    /// script that refuses it (argparse's exit 2), and for a rerun to pass the same.
    public var outputDirArg: String? = nil
    /// Files the script creates or changes in its working directory are copied into the run dir up to this
    /// size each (`cwd_copy_max_mb`); bigger ones are only named (see `WorkingDirCapture`).
    public var cwdCopyMaxBytes: Int64
    /// The run's own `sbatch_args` (after the config's), for a workspace whose executor is Slurm.
    public var sbatchArgs: [String] = []
    public static let defaultCwdCopyMaxBytes: Int64 = 64 << 20

    public init(executable: String, argv: [String], envAdded: [String: String], baseEnv: [String: String],
                cwd: String, timeoutSeconds: Double?, killGraceSeconds: Double, profile: String?,
                scriptPath: String, workspaceRoot: String, inputs: [String], params: JSONObject = [:], args: [String] = [],
                cwdCopyMaxBytes: Int64 = RunSpec.defaultCwdCopyMaxBytes) {
        self.executable = executable; self.argv = argv; self.envAdded = envAdded; self.baseEnv = baseEnv
        self.cwd = cwd; self.timeoutSeconds = timeoutSeconds; self.killGraceSeconds = killGraceSeconds
        self.profile = profile; self.scriptPath = scriptPath; self.workspaceRoot = workspaceRoot; self.inputs = inputs
        self.params = params; self.args = args; self.cwdCopyMaxBytes = cwdCopyMaxBytes
    }

    /// The environment the script gets: base, then the run's additions (which win).
    public var environment: [String: String] { baseEnv.merging(envAdded) { _, new in new } }

    public func json() -> JSONValue {
        func dict(_ d: [String: String]) -> JSONValue {
            .object(JSONObject(pairs: d.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        }
        return [
            "executable": .string(executable), "argv": .from(argv), "env_added": dict(envAdded),
            "base_env": dict(baseEnv), "cwd": .string(cwd), "timeout_s": .from(timeoutSeconds),
            "kill_grace_s": .double(killGraceSeconds), "profile": .from(profile), "script_path": .string(scriptPath),
            "workspace_root": .string(workspaceRoot), "inputs": .from(inputs), "params": .object(params),
            "args": .from(args), "output_dir_arg": .from(outputDirArg), "cwd_copy_max_bytes": .int(cwdCopyMaxBytes),
            "sbatch_args": .from(sbatchArgs),
        ]
    }

    public init?(json v: JSONValue) {
        func dict(_ v: JSONValue) -> [String: String] {
            var d: [String: String] = [:]
            for (k, x) in v.objectValue ?? [:] { if let s = x.stringValue { d[k] = s } }
            return d
        }
        guard let exe = v["executable"].stringValue, let argv = v["argv"].arrayValue?.compactMap(\.stringValue),
              let cwd = v["cwd"].stringValue, let script = v["script_path"].stringValue,
              let root = v["workspace_root"].stringValue else { return nil }
        self.init(executable: exe, argv: argv, envAdded: dict(v["env_added"]), baseEnv: dict(v["base_env"]), cwd: cwd,
                  timeoutSeconds: v["timeout_s"].doubleValue, killGraceSeconds: v["kill_grace_s"].doubleValue ?? 5,
                  profile: v["profile"].stringValue, scriptPath: script, workspaceRoot: root,
                  inputs: v["inputs"].arrayValue?.compactMap(\.stringValue) ?? [], params: v["params"].objectValue ?? [:],
                  args: v["args"].arrayValue?.compactMap(\.stringValue) ?? [],
                  cwdCopyMaxBytes: v["cwd_copy_max_bytes"].doubleValue.map { Int64($0) } ?? Self.defaultCwdCopyMaxBytes)
        sbatchArgs = v["sbatch_args"].arrayValue?.compactMap(\.stringValue) ?? []
        if v.objectValue?["output_dir_arg"] == nil, argv.count >= 2,
           argv[argv.count - 1].hasSuffix("/results") {
            // A spec written before the key existed: the argument before the results dir.
            outputDirArg = argv[argv.count - 2]
        } else {
            outputDirArg = v["output_dir_arg"].stringValue
        }
    }
}
