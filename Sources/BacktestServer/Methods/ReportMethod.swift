import BacktestCore
import JSON
import JSONRPC

/// `report`: a self-contained HTML report of one run, or of a sweep (ranked runs and a heatmap).
struct ReportMethod: RPCMethod {
    let session: ServerSession
    typealias Params = RunOrSweepParams

    static let name = "report"
    static let summary = "Write a self-contained HTML report: of a run (equity curve, drawdown, metrics, provenance), or of a sweep (its runs ranked by rank_by, a heatmap over two swept params)"
    static let resultSchema: JSONValue = ["oneOf": [
        Schema.object("Report", [
            ("run_id", Schema.runID), ("path", Schema.string("Absolute path of results/reports/report.html")),
        ], required: ["run_id", "path"]),
        Schema.object("SweepReport", [
            ("sweep_id", RecordSchemas.sweepID), ("path", Schema.string("Absolute path of the sweep's report page")),
        ], required: ["sweep_id", "path"]),
    ]]
    static let errors = [ErrorCode.runNotFound, ErrorCode.resultsMissing, ErrorCode.sweepNotFound,
                         ErrorCode.configInvalid].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        switch p.target {
        case .run(let id): return ["run_id": .string(id), "path": .string(try ws.report(runID: id))]
        case .sweep(let id): return ["sweep_id": .string(id), "path": .string(try ws.report(sweepID: id))]
        }
    }
}
