/// Where a workspace keeps the state its servers and supervisors share. Hidden inside the runs dir, so that
/// it moves with the runs and is never mistaken for one.
public struct WorkspaceLayout: Sendable, Equatable {
    public let root: String
    public let runsDir: String

    public init(root: String, runsDir: String) { self.root = root; self.runsDir = runsDir }

    public var stateDir: String { runsDir + "/.backtest-rpc" }
    public var index: String { stateDir + "/index.sqlite" }
    public var schedulerLock: String { stateDir + "/sched.lock" }
    public var slotsDir: String { stateDir + "/slots" }
    public var queueDir: String { stateDir + "/queue" }
    public var interpreterCache: String { stateDir + "/interpreters.json" }
    /// The result cache: one file a key, naming the completed run that has that key's results.
    public var cacheDir: String { stateDir + "/cache" }
    /// One record a sweep (`<sweep_id>.json`).
    public var sweepsDir: String { stateDir + "/sweeps" }
    public func sweep(_ sweepID: String) -> String { sweepsDir + "/" + sweepID + ".json" }
    /// Runs handed to Slurm and not yet seen ended: one file a run (`<run_id>`, holding its job id). Their
    /// number is what `executor.max_jobs` bounds, for every server of the workspace.
    public var slurmJobsDir: String { stateDir + "/slurm-jobs" }
    public func slurmJob(_ runID: String) -> String { slurmJobsDir + "/" + runID }
    public func slotLock(_ n: Int) -> String { slotsDir + "/\(n).lock" }
    public func queueEntry(_ runID: String) -> String { queueDir + "/" + runID }
    public func run(_ runID: String) -> RunPaths { RunPaths(runDir: runsDir + "/" + runID) }
}
