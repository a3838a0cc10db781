import BacktestCore
import JSON
import JSONRPC

/// `rerun`: run an ended run again from its captured code.
struct RerunMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let runID = Param<String>.required("run_id", Schema.runID, "The run to reproduce")
        static let declared = [runID.spec]
        let runID: String
        init(from p: ParamReader) throws(RPCError) { runID = try p.value(Self.runID) }
    }

    static let name = "rerun"
    static let summary = "Run an ended run again from its captured code; both records then say whether the results were identical"
    static let resultSchema = RecordSchemas.runStarted
    static let errors = [ErrorCode.runNotFound, ErrorCode.runNotFinished, ErrorCode.resultsMissing].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> RunStarted {
        let ws = try session.workspace()
        let record = try ws.rerun(runID: p.runID)
        session.streams.started(record.runID, in: ws)
        return RunStarted(record)
    }
}
