import Base
import Glibc
import JSON

/// What a process learns of the Slurm job it runs in from its environment (set by Slurm for the job, and
/// `BACKTEST_HEARTBEAT_S` by our batch script). nil outside a job.
struct SlurmJobEnvironment {
    var jobID: String
    var node: String?
    var heartbeatSeconds: Double

    static var current: SlurmJobEnvironment? {
        guard let id = env("SLURM_JOB_ID"), !id.isEmpty else { return nil }
        return SlurmJobEnvironment(jobID: id, node: env("SLURMD_NODENAME"),
                                   heartbeatSeconds: env("BACKTEST_HEARTBEAT_S").flatMap(Double.init) ?? 10)
    }

    /// The record's `executor`.
    var json: JSONValue {
        .object(JSONObject(pairs: [("kind", .string("slurm")), ("job_id", .string(jobID)),
                                   ("node", node.map { .string($0) } ?? .null)]))
    }

    /// The `SLURM_*` variables of this process's environment.
    static var variables: [String: String] {
        ProcessEnvironment.current().filter { $0.key.hasPrefix("SLURM_") }
    }

    private static func env(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
