/// Where everything of one run lives. Nothing outside `runDir` belongs to a run.
public struct RunPaths: Sendable, Equatable {
    public let runDir: String

    public init(runDir: String) { self.runDir = runDir }

    public var runID: String { String(runDir.split(separator: "/").last ?? "") }
    public var record: String { runDir + "/run.json" }
    public var spec: String { runDir + "/.spec.json" }
    public var lock: String { runDir + "/.lock" }
    /// Left by `cancel` for a supervisor that has claimed the run but not yet said who it is.
    public var cancelRequest: String { runDir + "/.cancel-requested" }
    public var log: String { runDir + "/execution.log" }
    public var logIndex: String { runDir + "/.log.idx" }
    public var results: String { runDir + "/results" }
    public var code: String { runDir + "/code" }
    public var metadataDir: String { runDir + "/metadata" }
    public var metadata: String { runDir + "/metadata/backtest_metadata.json" }
    /// A run handed to Slurm: its job id (`submitting` while sbatch is asked). Its presence says the run's
    /// liveness is Slurm's to tell, not a lock's (a supervisor on another node holds no lock we can see).
    public var slurmJob: String { runDir + "/.slurm-job" }
    /// The batch script `sbatch` was given.
    public var slurmScript: String { runDir + "/.slurm-job.sh" }
    /// What Slurm said of the job when a server last asked (state, reason, node).
    public var slurmView: String { runDir + "/.slurm.json" }
    /// Touched by a supervisor in a Slurm job every few seconds.
    public var heartbeat: String { runDir + "/.heartbeat" }
}
