import BacktestCore
import JSON
import JSONRPC

/// `cancel`: stop a queued or running run and its whole process tree.
struct CancelMethod: RPCMethod {
    let session: ServerSession
    typealias Params = StatusMethod.Params

    static let name = "cancel"
    static let summary = "Cancel a queued or running run (its whole process tree)"
    static let resultSchema = RecordSchemas.run
    static let errors = [ErrorCode.runNotFound, ErrorCode.runFinished].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        try session.workspace().cancel(runID: p.runID).json()
    }
}
