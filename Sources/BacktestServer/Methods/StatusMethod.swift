import BacktestCore
import JSON
import JSONRPC

/// `status`: the record of one run, as it truly is now.
struct StatusMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let declared = [RunIDParam.runID.spec]
        let runID: String
        init(from p: ParamReader) throws(RPCError) { runID = try p.value(RunIDParam.runID) }
    }

    static let name = "status"
    static let summary = "The record of one run"
    static let resultSchema = RecordSchemas.run
    static let errors = [ErrorCode.runNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        try session.workspace().record(runID: p.runID).json()
    }
}

/// The `run_id` param most methods take.
enum RunIDParam {
    static let runID = Param<String>.required("run_id", Schema.runID, "The run")
}
