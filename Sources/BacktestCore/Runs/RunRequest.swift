import JSON

/// What a client asks for when it starts a run (`run`, `rerun`). Checked and turned into a `RunSpec` and a
/// queued `RunRecord` by `Workspace.submit`.
public struct RunRequest: Sendable {
    /// The script, relative to the scripts dir (or to `scriptsDirOverride`).
    public var script: String
    /// Become `--key value` arguments (see `RunCommandLine`).
    public var params: JSONObject
    /// Passed after the params, as they are.
    public var args: [String]
    /// Added to the environment, after the config's `env`.
    public var env: [String: String]
    /// nil: the config's `default_timeout_s`.
    public var timeoutSeconds: Double?
    public var tags: [String]
    public var note: String?
    /// Validation profile name, recorded for the supervisor.
    public var profile: String?
    /// Input files the run reads (recorded for provenance).
    public var inputs: [String]
    /// Run the script from this directory instead of the scripts dir (a rerun from a captured `code/` dir):
    /// absolute, or relative to the workspace root. It is also the script's working directory.
    public var scriptsDirOverride: String?
    /// Extra members for the record (`rerun_of`, ...).
    public var extra: JSONObject
    /// A rerun's interpreter: the original's command line before its script, used instead of looking the
    /// configured interpreter up again (`[]`: the script ran itself). nil: resolve as usual.
    public var pinnedInterpreter: [String]?
    /// The run's own `output_dir_arg`: nil → the config's; `.some(nil)` (or `""`) → pass nothing (the script
    /// finds the directory in `BACKTEST_OUTPUT_DIR`); `.some("--out")` → that argument.
    public var outputDirArg: String?? = nil
    /// What the run does with the result cache (`CacheMode`).
    public var cache: CacheMode = .off
    /// Added to `sbatch` for this run, after the workspace's `executor.sbatch_args` (Slurm executor only).
    public var sbatchArgs: [String] = []
    /// The id a sweep chose for this run (`<sweep stem>__<n>`); nil: a new id from the allocator.
    public var runID: String? = nil

    public init(script: String, params: JSONObject = [:], args: [String] = [], env: [String: String] = [:],
                timeoutSeconds: Double? = nil, tags: [String] = [], note: String? = nil, profile: String? = nil,
                inputs: [String] = [], scriptsDirOverride: String? = nil, extra: JSONObject = [:]) {
        self.script = script; self.params = params; self.args = args; self.env = env
        self.timeoutSeconds = timeoutSeconds; self.tags = tags; self.note = note; self.profile = profile
        self.inputs = inputs; self.scriptsDirOverride = scriptsDirOverride; self.extra = extra
    }
}
