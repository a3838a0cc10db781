import BacktestCore
import JSON
import JSONRPC

/// `list`: runs of the workspace, whichever server started them.
struct ListMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let declared = ListFilters.declared
        let filters: ListFilters
        init(from p: ParamReader) throws(RPCError) { filters = try ListFilters(from: p) }
    }

    static let name = "list"
    static let summary = "Runs of the workspace, whichever server started them"
    static let resultSchema = Schema.object("RunList", [
        ("total", Schema.integer("Runs matching the filters, before paging", minimum: 0)),
        ("runs", Schema.array(RecordSchemas.run)),
    ], required: ["total", "runs"])

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let (total, runs) = try p.filters.query(session.workspace())
        return ["total": .int(Int64(total)), "runs": .array(runs.map { $0.json() })]
    }
}
