import JSON

/// What Slurm says of one job: its state (`PENDING`, `RUNNING`, `COMPLETED`, `TIMEOUT`, ...), the reason
/// it gives (why it waits, or why it ended), and the node it runs on.
public struct SlurmJobView: Sendable, Equatable {
    public var jobID: String
    public var state: String
    public var reason: String?
    public var node: String?

    /// Slurm's states in which the job still holds (or waits for) the cluster.
    static let activeStates: Set<String> = [
        "PENDING", "CONFIGURING", "RUNNING", "SUSPENDED", "COMPLETING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
        "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "PREEMPTED",
    ]

    /// Whether the job has ended for Slurm (whatever our record says).
    public var hasEnded: Bool { !Self.activeStates.contains(state) }

    /// How a job that ended without its supervisor writing a final record ends the run: the failure and
    /// the message (Slurm's state and reason in it).
    func outcome(cancelRequested: Bool) -> (status: RunStatus, failure: FailureReason?, message: String) {
        let said = "Slurm job \(jobID) ended \(state)" + (reason.map { $0 == "None" ? "" : " (\($0))" } ?? "")
        switch state {
        case "CANCELLED" where cancelRequested: return (.cancelled, nil, "cancelled (\(said))")
        case "TIMEOUT", "DEADLINE": return (.failed, .timeout, said + ": the job's time limit was reached")
        default: return (.failed, .interrupted, said)
        }
    }

    var json: JSONValue {
        .object(JSONObject(pairs: [("job_id", .string(jobID)), ("state", .string(state)),
                                   ("reason", reason.map { .string($0) } ?? .null), ("node", node.map { .string($0) } ?? .null)]))
    }
}
