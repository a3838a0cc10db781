import BacktestCore
import JSON
import JSONRPC

/// `status`: the record of one run, as it truly is now.
struct StatusMethod: RPCMethod {
    let session: ServerSession
    typealias Params = RunOrSweepParams

    static let name = "status"
    static let summary = "The record of one run, or where a sweep stands (counts and best run)"
    static let resultSchema: JSONValue = ["oneOf": [RecordSchemas.run, RecordSchemas.sweepStatus]]
    static let errors = [ErrorCode.runNotFound, ErrorCode.sweepNotFound].map(ErrorCode.spec)

    func handle(_ p: RunOrSweepParams, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        switch p.target {
        case .run(let id): return try ws.record(runID: id).json()
        case .sweep(let id): return try SweepStatus(ws, id).json
        }
    }
}

/// The `run_id` param most methods take.
enum RunIDParam {
    static let runID = Param<String>.required("run_id", Schema.runID, "The run")
}

/// The params of methods that take one run and nothing else.
struct RunIDParams: MethodParams {
    static let declared = [RunIDParam.runID.spec]
    let runID: String
    init(from p: ParamReader) throws(RPCError) { runID = try p.value(RunIDParam.runID) }
}
