import BacktestCore
import JSON
import JSONRPC

/// `delete`: remove ended runs (directories, index rows, cache entries), by id or by a filter.
struct DeleteMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let runIDs = Param<[String]>.optional("run_ids", Schema.array(Schema.runID), "The runs to delete")
        static let sweepID = Param<String>.optional("sweep_id", RecordSchemas.sweepID, "Every ended run of this sweep")
        static let declared = [runIDs.spec, sweepID.spec]
        let runIDs: [String]?
        let sweepID: String?
        init(from p: ParamReader) throws(RPCError) {
            runIDs = try p.optional(Self.runIDs)
            sweepID = try p.optional(Self.sweepID)
            if (runIDs == nil) == (sweepID == nil) {
                throw RPCError.invalidParams(field: "run_ids", expected: "run_ids or sweep_id (one of them)", got: nil)
            }
        }
    }

    static let name = "delete"
    static let summary = "Delete ended runs: their directories, index rows and cache entries; refuses runs still queued or running"
    static let resultSchema = Schema.object("Deleted", [
        ("deleted", Schema.array(Schema.runID, "The runs deleted")),
    ], required: ["deleted"])
    static let errors = [ErrorCode.runNotFound, ErrorCode.runsActive, ErrorCode.sweepNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        let ids = try p.runIDs ?? ws.sweepRuns(p.sweepID!).filter { $0.status.isTerminal }.map(\.runID)
        return ["deleted": .from(try ws.delete(runIDs: ids))]
    }
}
