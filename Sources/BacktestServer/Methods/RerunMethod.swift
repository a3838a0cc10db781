import BacktestCore
import JSON
import JSONRPC

/// `rerun`: run an ended run again from its captured code.
struct RerunMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let runID = Param<String>.optional("run_id", Schema.runID, "The run to reproduce (or give sweep_id)")
        static let sweepID = Param<String>.optional("sweep_id", RecordSchemas.sweepID, "Rerun runs of this sweep")
        static let only = Param<Only>.optional("only", Schema.string(enum: Only.allCases.map(\.rawValue)),
            "With sweep_id: failed (default) reruns the failed runs, ended every ended run")
        static let declared = [runID.spec, sweepID.spec, only.spec]
        enum Only: String, StringEnumParam, CaseIterable { case failed, ended }
        let target: RunOrSweepParams.Target
        let only: Only
        init(from p: ParamReader) throws(RPCError) {
            target = try RunOrSweepParams(from: p).target
            only = try p.optional(Self.only) ?? .failed
        }
    }

    static let name = "rerun"
    static let summary = "Run an ended run again from its captured code; both records then say whether the results were identical"
    static let resultSchema: JSONValue = ["oneOf": [RecordSchemas.runStarted, Schema.object("SweepRerun", [
        ("sweep_id", RecordSchemas.sweepID), ("run_ids", Schema.array(Schema.runID, "The new runs")),
    ], required: ["sweep_id", "run_ids"])]]
    static let errors = [ErrorCode.runNotFound, ErrorCode.runNotFinished, ErrorCode.resultsMissing,
                         ErrorCode.sweepNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        switch p.target {
        case .run(let id):
            let record = try ws.rerun(runID: id)
            context.afterReply { [session] in session.streams.started(record.runID, in: ws) }
            return RunStarted(record).json
        case .sweep(let id):
            let runs = try ws.rerunSweep(id, onlyFailed: p.only == .failed)
            context.afterReply { [session] in for r in runs { session.streams.started(r.runID, in: ws) } }
            return ["sweep_id": .string(id), "run_ids": .from(runs.map(\.runID))]
        }
    }
}
