import BacktestCore
import Base
import JSON
import JSONRPC

/// `run`, `status`, `logs`, `list`, `cancel`: starting runs and looking at them.
enum RunMethods {
    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        registerRun(r, s)
        registerStatus(r, s)
        registerLogs(r, s)
        registerList(r, s)
        registerCancel(r, s)
    }

    static let runParams: [ParamSpec] = [
        .required("script", Schema.string(), "Script path relative to the scripts dir"),
        .optional("params", Schema.map(Schema.any),
                  "Become `--key value` arguments: true → bare flag, false/null → omitted, arrays → several values"),
        .optional("args", Schema.array(Schema.string()), "Extra arguments, passed as they are after the params"),
        .optional("env", Schema.map(Schema.string()), "Extra environment for this run (BACKTEST_* cannot be overridden)"),
        .optional("timeout_s", Schema.number(exclusiveMinimum: 0), "Stop the run after this many seconds (failure: timeout)"),
        .optional("tags", Schema.array(Schema.string()), "Labels to filter runs by"),
        .optional("note", Schema.string(), "Free text kept with the run"),
        .optional("profile", Schema.string(), "Validation profile (default: the config's, else `backtest`)"),
        .optional("inputs", Schema.array(Schema.string()), "Data files or folders the run reads (hashed into its metadata)"),
    ]

    static func request(from p: JSONObject) -> RunRequest {
        RunRequest(script: p.string("script") ?? "", params: p.object("params") ?? [:], args: p.strings("args") ?? [],
                   env: p.stringMap("env"), timeoutSeconds: p.double("timeout_s"), tags: p.strings("tags") ?? [],
                   note: p.string("note"), profile: p.string("profile"), inputs: p.strings("inputs") ?? [],
                   scriptsDirOverride: nil, extra: [:])
    }

    /// Submits a run, follows it for this client, and answers with where it lives.
    static func submit(_ req: RunRequest, _ s: ServerSession) throws -> JSONValue {
        let ws = try s.workspace()
        let record = try core {
            try RunValidation(workspace: ws.config).checkProfile(req.profile)
            return try ws.submit(req)
        }
        s.streams.started(record.runID, in: ws)
        return started(record)
    }

    /// What `run` and `rerun` answer.
    static func started(_ record: RunRecord) -> JSONValue {
        [
            "run_id": .string(record.runID), "status": .string(record.status.rawValue),
            "run_dir": .string(record.runDir), "output_dir": .string(record.outputDir),
        ]
    }

    static func registerRun(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("run", "Start a backtest script as a new run; answers at once with status queued",
                           params: runParams, result: RecordSchemas.runStarted,
                           errors: [ErrorCode.scriptNotFound, ErrorCode.scriptOutsideWorkspace, ErrorCode.scriptNotRunnable,
                                    ErrorCode.configInvalid, ErrorCode.profileNotFound, ErrorCode.workspaceError])) { p, _ in
            try submit(request(from: p), s)
        }
    }

    static func registerStatus(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("status", "The record of one run", params: [.required("run_id", Schema.runID, "The run")],
                           result: RecordSchemas.run, errors: [ErrorCode.runNotFound])) { p, _ in
            let ws = try s.workspace()
            return try core { try ws.record(runID: p.requiredString("run_id")) }.json()
        }
    }

    static func registerLogs(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("LogPage", [
            ("run_id", Schema.runID),
            ("lines", Schema.array(RecordSchemas.logLine)),
            ("total_lines", Schema.integer(minimum: 0)),
            ("next_seq", Schema.integer("The seq the next line will have; continue with after_seq = next_seq - 1", minimum: 0)),
            ("complete", Schema.boolean("The run has ended, no lines follow these and none were lost (log_lines_lost is 0)")),
        ], required: ["run_id", "lines", "total_lines", "next_seq", "complete"])
        r.register(.method("logs", "Lines of a run's output: the last `tail`, or those after `after_seq`",
                           params: [
                            .required("run_id", Schema.runID, "The run"),
                            .optional("tail", Schema.integer(minimum: 0), "The last N lines"),
                            .optional("after_seq", Schema.integer(minimum: -1), "Lines with seq greater than this"),
                            .optional("limit", Schema.integer(minimum: 1, maximum: 100_000), "At most this many lines (default 1000)"),
                            .optional("stream", Schema.string(enum: ["stdout", "stderr"]), "Only this stream"),
                           ],
                           result: result, errors: [ErrorCode.runNotFound])) { p, _ in
            let ws = try s.workspace()
            let id = try p.requiredString("run_id")
            let page = try core {
                try ws.logs(runID: id, tail: p.int("tail"), afterSeq: p.int("after_seq"), limit: p.int("limit"),
                            stream: p.string("stream").flatMap(LogStream.init(rawValue:)))
            }
            return [
                "run_id": .string(id), "lines": .array(page.lines.map { $0.json() }),
                "total_lines": .int(Int64(page.totalLines)), "next_seq": .int(Int64(page.nextSeq)),
                "complete": .bool(page.complete),
            ]
        }
    }

    static let listFilters: [ParamSpec] = [
        .optional("status", ["oneOf": [RecordSchemas.status, Schema.array(RecordSchemas.status)]], "Only runs in this status (or these)"),
        .optional("script", Schema.string(), "Only runs of this script"),
        .optional("tag", Schema.string(), "Only runs with this tag"),
        .optional("since", Schema.timestamp, "Created at or after this time"),
        .optional("until", Schema.timestamp, "Created before this time"),
        .optional("limit", Schema.integer(minimum: 1, maximum: 10_000), "Page size (default 50)"),
        .optional("offset", Schema.integer(minimum: 0), "Skip this many (default 0)"),
        .optional("order", Schema.string(enum: ["asc", "desc"]), "By creation time (default desc: newest first)"),
    ]

    /// Reads list's filters; a time that does not parse is a params error naming the field.
    static func listQuery(_ p: JSONObject, _ ws: Workspace) throws -> (total: Int, runs: [RunRecord]) {
        func time(_ key: String) throws -> Int64? {
            guard let t = p.string(key) else { return nil }
            guard let ms = ISOTime.parse(t) else {
                throw RPCError.invalidParams(field: key, expected: "ISO 8601 time (2026-11-21T10:00:00Z or 2026-11-21)", got: .string(t))
            }
            return ms
        }
        let statuses = p.stringOrStrings("status")?.compactMap(RunStatus.init(rawValue:))
        let since = try time("since"), until = try time("until")
        return try core {
            try ws.list(status: statuses, script: p.string("script"), tag: p.string("tag"), since: since, until: until,
                        limit: p.int("limit") ?? 50, offset: p.int("offset") ?? 0, ascending: p.string("order") == "asc")
        }
    }

    static func registerList(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("RunList", [
            ("total", Schema.integer("Runs matching the filters, before paging", minimum: 0)),
            ("runs", Schema.array(RecordSchemas.run)),
        ], required: ["total", "runs"])
        r.register(.method("list", "Runs of the workspace, whichever server started them", params: listFilters,
                           result: result)) { p, _ in
            let (total, runs) = try listQuery(p, try s.workspace())
            return ["total": .int(Int64(total)), "runs": .array(runs.map { $0.json() })]
        }
    }

    static func registerCancel(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("cancel", "Cancel a queued or running run (its whole process tree)",
                           params: [.required("run_id", Schema.runID, "The run")], result: RecordSchemas.run,
                           errors: [ErrorCode.runNotFound, ErrorCode.runFinished])) { p, _ in
            let ws = try s.workspace()
            return try core { try ws.cancel(runID: p.requiredString("run_id")) }.json()
        }
    }
}
