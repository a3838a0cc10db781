import Base

/// Where a workspace's runs execute: on this machine (`local`, the default: a supervisor process per run,
/// bounded by `max_parallel`), or as Slurm jobs (`slurm`: `sbatch` starts the same supervisor as the job's
/// foreground process on a compute node, bounded by `max_jobs`). Set by `executor` in backtest-rpc.json.
public enum Executor: Sendable, Equatable {
    case local
    case slurm(SlurmSettings)

    public var kind: String {
        switch self {
        case .local: "local"
        case .slurm: "slurm"
        }
    }

    /// `executor`: absent or `{"kind": "local"}`, or `{"kind": "slurm", ...}` (see `SlurmSettings`).
    static func read(_ r: ConfigReader, maxParallel: Int) throws(ConfigError) -> Executor {
        guard let e = try r.child("executor") else { return .local }
        switch try e.string("kind") {
        case nil, "local":
            try e.checkKeys(["kind"])
            return .local
        case "slurm":
            return .slurm(try SlurmSettings(e, maxParallel: maxParallel))
        case let other?:
            throw e.error("kind", "expected \"local\" or \"slurm\", got \"\(other)\"")
        }
    }
}

/// `executor` of kind `slurm`.
public struct SlurmSettings: Sendable, Equatable {
    /// `--partition`, when given.
    public var partition: String?
    /// Added to every `sbatch` (a run's own `sbatch_args` come after these).
    public var sbatchArgs: [String]
    /// Shell lines run in the job before the supervisor starts (`module load python/3.11`, `source .venv/bin/activate`).
    public var setup: [String]
    /// Jobs submitted and not yet ended, at most, across every server of the workspace (default: `max_parallel`).
    public var maxJobs: Int
    /// How often a server asks Slurm about the workspace's jobs, in seconds (default 5).
    public var pollSeconds: Double
    /// How often a supervisor in a job touches its heartbeat file, in seconds (default 10); a job Slurm calls
    /// running whose heartbeat is older than 6 beats while its record is not final is taken as lost.
    public var heartbeatSeconds: Double
    /// The `backtest-rpc` binary the job starts (default: the server's own, which must then be on a path
    /// every node sees).
    public var supervisorPath: String?

    static let keys = ["kind", "partition", "sbatch_args", "setup", "max_jobs", "poll_s", "heartbeat_s", "supervisor_path"]

    init(_ r: ConfigReader, maxParallel: Int) throws(ConfigError) {
        try r.checkKeys(suggestingNearestOf: Self.keys)
        partition = try r.nonEmptyString("partition")
        sbatchArgs = try r.strings("sbatch_args") ?? []
        setup = try r.strings("setup") ?? []
        maxJobs = try r.integer("max_jobs", in: 1...100_000) ?? maxParallel
        pollSeconds = try r.number("poll_s", positive: true) ?? 5
        heartbeatSeconds = try r.number("heartbeat_s", positive: true) ?? 10
        supervisorPath = try r.nonEmptyString("supervisor_path")
    }

    public init(partition: String? = nil, sbatchArgs: [String] = [], setup: [String] = [], maxJobs: Int,
                pollSeconds: Double = 5, heartbeatSeconds: Double = 10, supervisorPath: String? = nil) {
        self.partition = partition; self.sbatchArgs = sbatchArgs; self.setup = setup; self.maxJobs = maxJobs
        self.pollSeconds = pollSeconds; self.heartbeatSeconds = heartbeatSeconds; self.supervisorPath = supervisorPath
    }
}
