import JSON

/// Schemas of the things results and notifications carry, shared by several methods.
enum RecordSchemas {
    static let status = Schema.string("Run status", enum: ["queued", "running", "validating", "completed", "failed", "cancelled"])
    static let failure = Schema.nullable(Schema.string(
        "Why a failed run failed", enum: ["exit_code", "validation", "timeout", "spawn_error", "interrupted"]))

    static let run = Schema.object("RunRecord", [
        ("run_id", Schema.runID),
        ("script", Schema.string("Script path relative to the scripts dir")),
        ("params", Schema.map(Schema.any, "Params as given to run")),
        ("args", Schema.array(Schema.string())),
        ("status", status),
        ("failure", failure),
        ("created_at", Schema.timestamp),
        ("started_at", Schema.nullable(Schema.timestamp)),
        ("completed_at", Schema.nullable(Schema.timestamp)),
        ("duration_seconds", Schema.nullable(Schema.number())),
        ("run_dir", Schema.string("Absolute path of the run's directory")),
        ("output_dir", Schema.string("Absolute path of the script's output directory (results/)")),
        ("exit_code", Schema.nullable(Schema.integer())),
        ("signal", Schema.nullable(Schema.integer("Signal that ended the script"))),
        ("error_message", Schema.nullable(Schema.string())),
        ("pid", Schema.nullable(Schema.integer("Script pid (also its process group id)"))),
        ("supervisor_pid", Schema.nullable(Schema.integer())),
        ("server_pid", Schema.nullable(Schema.integer("Pid of the server that submitted the run"))),
        ("tags", Schema.array(Schema.string())),
        ("note", Schema.nullable(Schema.string())),
        ("timeout_s", Schema.nullable(Schema.number())),
        ("profile", Schema.nullable(Schema.string("Validation profile"))),
        ("validation", Schema.nullable(Schema.any)),
        ("warnings", Schema.array(Schema.string())),
        ("log_lines_lost", Schema.integer(
            "Output lines that could not be written to execution.log (disk full); when > 0, logs is never complete",
            minimum: 0)),
        ("history", Schema.array(Schema.object("StatusChange", [("status", status), ("at", Schema.timestamp)],
                                               required: ["status", "at"]), "Every status the run has had, in order")),
        ("sweep_id", sweepID),
        ("cached_from", Schema.runID),
        ("cache", Schema.string("The run's cache mode, when not off", enum: ["reuse", "refresh"])),
        ("cache_key", Schema.string("SHA-256 (hex) over what decides the result (docs/caching.md)")),
        ("metrics", Schema.map(Schema.any, "Analytics the server computed from pnl.csv and trades.csv (docs/metrics.md)")),
        ("summary", Schema.map(Schema.any, "The script's own summary.csv rows, metric → value")),
        ("executor", Schema.object("RunExecutor", [
            ("kind", Schema.string("Where the run executes", enum: ["slurm"])),
            ("job_id", Schema.string("The Slurm job id")),
            ("node", Schema.nullable(Schema.string("The node the job runs on"))),
            ("state", Schema.string("What Slurm last said of the job while the run was not over (PENDING, RUNNING, SUSPENDED, ...)")),
            ("reason", Schema.nullable(Schema.string("Slurm's reason: why the job waits, or why it is held or suspended"))),
        ], required: ["kind"], description: "Present for runs handed to Slurm (docs/scale-out.md)")),
    ], required: ["run_id", "script", "status", "created_at", "run_dir", "output_dir"])

    static let sweepID = Schema.string("Sweep id: sweep_YYYYMMDD_HHMMSS_mmm[_NNN]; its runs are <stem>__<n>")

    static let sweepBest = Schema.object("SweepBest", [
        ("run_id", Schema.runID), ("metric", Schema.string("The rank_by field")), ("value", Schema.number()),
    ], required: ["run_id", "metric", "value"])

    /// What `status {sweep_id}` and `cancel {sweep_id}` answer.
    static let sweepStatus = Schema.object("SweepStatus", [
        ("sweep_id", sweepID), ("script", Schema.string()), ("created_at", Schema.timestamp),
        ("rank_by", Schema.nullable(Schema.string())), ("total", Schema.integer(minimum: 0)),
        ("queued", Schema.integer(minimum: 0)), ("running", Schema.integer(minimum: 0)),
        ("completed", Schema.integer(minimum: 0)), ("failed", Schema.integer(minimum: 0)),
        ("cancelled", Schema.integer(minimum: 0)), ("best", Schema.nullable(sweepBest)),
    ], required: ["sweep_id", "total", "queued", "running", "completed", "failed", "cancelled"])

    static let logLine = Schema.object("LogLine", [
        ("seq", Schema.integer("0-based line number in execution.log", minimum: 0)),
        ("stream", Schema.string(enum: ["stdout", "stderr"])),
        ("at", Schema.timestamp),
        ("text", Schema.string()),
    ], required: ["seq", "stream", "at", "text"])

    static let runStarted = Schema.object("RunStarted", [
        ("run_id", Schema.runID),
        ("status", status),
        ("run_dir", Schema.string()),
        ("output_dir", Schema.string()),
    ], required: ["run_id", "status", "run_dir", "output_dir"])

    /// What `validate` answers and a record's `validation` holds.
    static let validationReport = Schema.object("ValidationReport", [
        ("valid", Schema.boolean()),
        ("errors", Schema.array(Schema.string(), "Messages, each naming its file and line: `pnl.csv:1043: ...`")),
        ("warnings", Schema.array(Schema.string())),
        ("issues", Schema.array(Schema.object("ValidationIssue", [
            ("severity", Schema.string(enum: ["error", "warning"])),
            ("rule", Schema.string("Stable rule id, e.g. trades.required_columns")),
            ("file", Schema.string()),
            ("line", Schema.nullable(Schema.integer())),
            ("message", Schema.string()),
        ], required: ["severity", "rule", "file", "message"]))),
        ("file_checks", Schema.map(Schema.object("FileCheck", [
            ("exists", Schema.boolean()), ("size", Schema.integer()), ("row_count", Schema.nullable(Schema.integer())),
            ("columns", Schema.nullable(Schema.array(Schema.string()))), ("errors", Schema.array(Schema.string())),
            ("warnings", Schema.array(Schema.string())),
        ]))),
        ("profile", Schema.string()),
        ("validated_at", Schema.timestamp),
        ("duration_ms", Schema.number()),
        ("skipped", Schema.boolean("true: the `none` profile, nothing was checked")),
    ], required: ["valid", "errors", "warnings", "file_checks", "profile", "validated_at", "duration_ms"])
}
