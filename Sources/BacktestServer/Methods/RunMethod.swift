import Base
import BacktestCore
import JSON
import JSONRPC

/// `run`: start a script as a new run; answers at once (status queued) and streams it to this client.
struct RunMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let script = Param<String>.required("script", Schema.string(), "Script path relative to the scripts dir")
        static let params = Param<JSONObject>.optional("params", Schema.map(Schema.any),
            "Become `--key value` arguments: true → bare flag, false/null → omitted, arrays → several values")
        static let args = Param<[String]>.optional("args", Schema.array(Schema.string()), "Extra arguments, passed as they are after the params")
        static let env = Param<[String: String]>.optional("env", Schema.map(Schema.string()),
            "Extra environment for this run (BACKTEST_* cannot be overridden)")
        static let timeout = Param<Double>.optional("timeout_s", Schema.number(exclusiveMinimum: 0),
            "Stop the run after this many seconds (failure: timeout)")
        static let tags = Param<[String]>.optional("tags", Schema.array(Schema.string()), "Labels to filter runs by")
        static let note = Param<String>.optional("note", Schema.string(), "Free text kept with the run")
        static let profile = Param<String>.optional("profile", Schema.string(), "Validation profile (default: the config's `validation.default_profile`, else `backtest`); `none`: no checks")
        static let inputs = Param<[String]>.optional("inputs", Schema.array(Schema.string()),
            "Data files or folders the run reads (hashed into its metadata)")
        static let outputDirArg = Param<String>.optional("output_dir_arg",
            ["type": ["string", "null"]],
            "The argument naming the results dir for this run (default: the config's `output_dir_arg`); null or \"\": pass none (for scripts whose argparse refuses it; the dir is still in BACKTEST_OUTPUT_DIR)")
        static let cache = Param<CacheMode>.optional("cache", Schema.string(enum: CacheMode.allCases.map(\.rawValue)),
            "off (default): never look in the result cache; reuse: answer from a completed run with the same cache key, without running; refresh: run and replace the cache entry")
        static let sbatchArgs = Param<[String]>.optional("sbatch_args", Schema.array(Schema.string()),
            "With the Slurm executor: extra sbatch options for this run, after the workspace's executor.sbatch_args (`--mem=8G`); ignored by the local executor")
        static let declared = [script.spec, params.spec, args.spec, env.spec, timeout.spec, tags.spec, note.spec, profile.spec,
                               inputs.spec, outputDirArg.spec, cache.spec, sbatchArgs.spec]

        let request: RunRequest

        init(from p: ParamReader) throws(RPCError) {
            let script = try p.value(Self.script)
            let params = try p.optional(Self.params) ?? [:]
            let args = try p.optional(Self.args) ?? []
            let env = try p.optional(Self.env) ?? [:]
            let timeout = try p.optional(Self.timeout)
            let tags = try p.optional(Self.tags) ?? []
            let note = try p.optional(Self.note)
            let profile = try p.optional(Self.profile)
            let inputs = try p.optional(Self.inputs) ?? []
            var request = RunRequest(script: script, params: params, args: args, env: env, timeoutSeconds: timeout, tags: tags,
                                     note: note, profile: profile, inputs: inputs, scriptsDirOverride: nil, extra: [:])
            request.outputDirArg = try p.nullable(Self.outputDirArg)
            request.cache = try p.optional(Self.cache) ?? .off
            request.sbatchArgs = try p.optional(Self.sbatchArgs) ?? []
            self.request = request
        }
    }

    static let name = "run"
    static let summary = "Start a backtest script as a new run; answers at once with status queued"
    static let resultSchema = RecordSchemas.runStarted
    static let errors = [ErrorCode.scriptNotFound, ErrorCode.scriptOutsideWorkspace, ErrorCode.scriptNotRunnable,
                         ErrorCode.configInvalid, ErrorCode.profileNotFound, ErrorCode.workspaceError].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> RunStarted {
        StepTrace.mark("server: run request")
        let ws = try session.workspace()
        try RunValidation(workspace: ws.config).checkProfile(p.request.profile)
        let record = try ws.submit(p.request)
        StepTrace.mark("server: run made and queued")
        // Followed once the answer is out: the run may be running already (handed straight to a standby), and
        // its first notification must not reach the client before the answer that gives it the run's id.
        context.afterReply { [session] in session.streams.started(record.runID, in: ws) }
        return RunStarted(record)
    }
}

/// What `run` and `rerun` answer: where the new run lives.
struct RunStarted: JSONEncodable {
    let record: RunRecord
    init(_ record: RunRecord) { self.record = record }
    var json: JSONValue {
        [
            "run_id": .string(record.runID), "status": .string(record.status.rawValue),
            "run_dir": .string(record.runDir), "output_dir": .string(record.outputDir),
        ]
    }
}
