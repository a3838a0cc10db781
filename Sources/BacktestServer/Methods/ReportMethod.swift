import BacktestCore
import JSON
import JSONRPC

/// `report`: a self-contained HTML report of one run.
struct ReportMethod: RPCMethod {
    let session: ServerSession
    typealias Params = RunIDParams

    static let name = "report"
    static let summary = "Write a self-contained HTML report (equity curve, drawdown, metrics, provenance)"
    static let resultSchema = Schema.object("Report", [
        ("run_id", Schema.runID), ("path", Schema.string("Absolute path of results/reports/report.html")),
    ], required: ["run_id", "path"])
    static let errors = [ErrorCode.runNotFound, ErrorCode.resultsMissing].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        ["run_id": .string(p.runID), "path": .string(try session.workspace().report(runID: p.runID))]
    }
}
