import JSON
import JSONRPC

/// The notifications the server sends: their names (the one place they are written) and their
/// declarations, so that discovery and capabilities list them.
enum Notifications {
    static let runStatus = "run/status"
    static let runLog = "run/log"
    static let runProgress = "run/progress"
    static let sweepProgress = "sweep/progress"

    static func declare(_ r: MethodRegistry) {
        r.declare(NotificationSpec(name: runStatus, summary: "A run changed status", params: [
            .required("run_id", Schema.runID, "The run"),
            .required("status", RecordSchemas.status, "The new status"),
            .required("previous", Schema.nullable(RecordSchemas.status), "The status before"),
            .required("at", Schema.timestamp, "When the server saw the change"),
            .optional("exit_code", Schema.integer(), "The script's exit code, once known"),
            .optional("failure", RecordSchemas.failure, "Why it failed"),
            .optional("error_message", Schema.string(), "What went wrong, for people"),
        ]))
        r.declare(NotificationSpec(name: runLog, summary: "New output lines of a run (batched, ~20 ms)", params: [
            .required("run_id", Schema.runID, "The run"),
            .required("lines", Schema.array(RecordSchemas.logLine), "The lines, in order"),
            .optional("dropped", Schema.integer(minimum: 1),
                      "Lines this client did not get because it read too slowly; fetch them with logs {after_seq}"),
        ]))
        r.declare(NotificationSpec(name: runProgress, summary: "A line that looked like progress", params: [
            .required("run_id", Schema.runID, "The run"),
            .optional("percent", Schema.number(), "0-100"),
            .optional("current", Schema.integer(), "Items done"),
            .optional("total", Schema.integer(), "Items in all"),
            .required("message", Schema.string(), "The line it came from"),
        ]))
        r.declare(NotificationSpec(name: sweepProgress, summary: "A run of a sweep this client started changed status", params: [
            .required("sweep_id", RecordSchemas.sweepID, "The sweep"),
            .required("total", Schema.integer(minimum: 0), "Runs of the sweep"),
            .required("queued", Schema.integer(minimum: 0), "Runs waiting (made or not yet)"),
            .required("running", Schema.integer(minimum: 0), "Runs running or validating"),
            .required("completed", Schema.integer(minimum: 0), "Runs completed"),
            .required("failed", Schema.integer(minimum: 0), "Runs failed"),
            .required("cancelled", Schema.integer(minimum: 0), "Runs cancelled"),
            .optional("best", RecordSchemas.sweepBest, "The best completed run by the sweep's rank_by"),
        ]))
    }
}
