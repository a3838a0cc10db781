import BacktestCore
import JSON
import JSONRPC

/// `results`: every file under a run's results directory.
struct ResultsMethod: RPCMethod {
    let session: ServerSession
    typealias Params = RunIDParams

    static let name = "results"
    static let summary = "Every file under a run's results directory"
    static let resultSchema = Schema.object("ResultFiles", [
        ("run_id", Schema.runID),
        ("output_dir", Schema.string()),
        ("files", Schema.array(Schema.object("ResultFile", [
            ("path", Schema.string("Relative to output_dir")), ("size", Schema.integer()), ("modified", Schema.timestamp),
        ], required: ["path", "size", "modified"]))),
    ], required: ["run_id", "output_dir", "files"])
    static let errors = [ErrorCode.runNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let record = try session.workspace().record(runID: p.runID)
        let files = (try? ResultFiles.listJSON(resultsDir: record.outputDir)) ?? .array([])
        return ["run_id": .string(record.runID), "output_dir": .string(record.outputDir), "files": files]
    }
}
