import BacktestCore
import JSON
import JSONRPC

/// `compare`: runs side by side, params and every metric of their summary.csv.
struct CompareMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let runIDs = Param<[String]>.optional("run_ids", Schema.array(Schema.runID), "These runs, in this order (else: the filters of list)")
        static let format = Param<Format>.optional("format", Schema.string(enum: ["json", "csv"]), "csv also returns the table as CSV text")
        static let declared = [runIDs.spec, format.spec] + ListFilters.declared

        enum Format: String, StringEnumParam { case json, csv }

        let runIDs: [String]?, format: Format, filters: ListFilters
        init(from p: ParamReader) throws(RPCError) {
            runIDs = try p.optional(Self.runIDs)
            format = try p.optional(Self.format) ?? .json
            filters = try ListFilters(from: p)
            // run_ids names the runs and their order; a search next to it would be silently ignored.
            if runIDs != nil, filters.searches {
                throw RPCError.invalidParams(field: filters.filter != nil ? "where" : "order_by",
                                             expected: "no run_ids alongside it (run_ids names the runs; where and order_by select them)")
            }
        }
    }

    static let name = "compare"
    static let summary = "Runs side by side: params and every metric of their summary.csv"
    static let resultSchema = Schema.object("Comparison", [
        ("columns", Schema.array(Schema.string(), "run_id, status, script, param.<name>..., package.<name> for each installed package whose version differs between the runs, then every metric name")),
        ("rows", Schema.array(Schema.map(Schema.any), "One per run")),
        ("csv", Schema.string("The table as CSV, with format: csv")),
    ], required: ["columns", "rows"])
    static let errors = [ErrorCode.runNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        let records = try p.runIDs.map { ids in try ids.map { try ws.record(runID: $0) } } ?? p.filters.query(ws).runs
        let table = ws.compare(records)
        var o: JSONObject = ["columns": .from(table.columns), "rows": .array(table.rows.map { .object($0) })]
        if p.format == .csv { o["csv"] = .string(table.csv) }
        return .object(o)
    }
}
