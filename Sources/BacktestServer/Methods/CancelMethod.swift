import BacktestCore
import JSON
import JSONRPC

/// `cancel`: stop a queued or running run and its whole process tree.
struct CancelMethod: RPCMethod {
    let session: ServerSession
    typealias Params = RunOrSweepParams

    static let name = "cancel"
    static let summary = "Cancel a queued or running run (its whole process tree), or every run of a sweep that has not ended"
    static let resultSchema: JSONValue = ["oneOf": [RecordSchemas.run, RecordSchemas.sweepStatus]]
    static let errors = [ErrorCode.runNotFound, ErrorCode.runFinished, ErrorCode.sweepNotFound].map(ErrorCode.spec)

    func handle(_ p: RunOrSweepParams, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        switch p.target {
        case .run(let id): return try ws.cancel(runID: id).json()
        case .sweep(let id):
            let summary = try ws.cancelSweep(id)
            session.sweepStreams.refresh(id, in: ws)
            return try SweepStatus(ws, id, summary: summary).json
        }
    }
}
