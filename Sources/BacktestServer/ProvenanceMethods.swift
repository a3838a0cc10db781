import BacktestCore
import JSON
import JSONRPC

/// `compare`, `report`, `rerun`: putting runs side by side, looking at one, reproducing one.
enum ProvenanceMethods {
    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        registerCompare(r, s)
        registerReport(r, s)
        registerRerun(r, s)
    }

    static func registerCompare(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("Comparison", [
            ("columns", Schema.array(Schema.string(), "run_id, status, script, param.<name>..., then every metric name")),
            ("rows", Schema.array(Schema.map(Schema.any), "One per run")),
            ("csv", Schema.string("The table as CSV, with format: csv")),
        ], required: ["columns", "rows"])
        let params: [ParamSpec] = [
            .optional("run_ids", Schema.array(Schema.runID), "These runs, in this order (else: the filters of list)"),
            .optional("format", Schema.string(enum: ["json", "csv"]), "csv also returns the table as CSV text"),
        ] + RunMethods.listFilters
        r.register(.method("compare", "Runs side by side: params and every metric of their summary.csv",
                           params: params, result: result, errors: [ErrorCode.runNotFound])) { p, _ in
            let ws = try s.workspace()
            let records: [RunRecord]
            if let ids = p.strings("run_ids") {
                records = try ids.map { id in try core { try ws.record(runID: id) } }
            } else {
                records = try RunMethods.listQuery(p, ws).runs
            }
            let table = ws.compare(records)
            var o: JSONObject = ["columns": .from(table.columns), "rows": .array(table.rows.map { .object($0) })]
            if p.string("format") == "csv" { o["csv"] = .string(table.csv) }
            return .object(o)
        }
    }

    static func registerReport(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("Report", [
            ("run_id", Schema.runID), ("path", Schema.string("Absolute path of results/reports/report.html")),
        ], required: ["run_id", "path"])
        r.register(.method("report", "Write a self-contained HTML report (equity curve, drawdown, metrics, provenance)",
                           params: [.required("run_id", Schema.runID, "The run")], result: result,
                           errors: [ErrorCode.runNotFound, ErrorCode.resultsMissing])) { p, _ in
            let ws = try s.workspace()
            let id = try p.requiredString("run_id")
            return ["run_id": .string(id), "path": .string(try core { try ws.report(runID: id) })]
        }
    }

    static func registerRerun(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("rerun", "Run an ended run again from its captured code; both records then say whether the results were identical",
                           params: [.required("run_id", Schema.runID, "The run to reproduce")], result: RecordSchemas.runStarted,
                           errors: [ErrorCode.runNotFound, ErrorCode.runNotFinished, ErrorCode.resultsMissing])) { p, _ in
            let ws = try s.workspace()
            let record = try core { try ws.rerun(runID: p.requiredString("run_id")) }
            s.streams.started(record.runID, in: ws)
            return RunMethods.started(record)
        }
    }
}
