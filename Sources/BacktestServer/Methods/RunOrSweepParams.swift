import BacktestCore
import Base
import JSON
import JSONRPC

/// The params of methods that act on one run or on a whole sweep (`status`, `cancel`): exactly one of
/// `run_id` and `sweep_id`.
struct RunOrSweepParams: MethodParams {
    static let runID = Param<String>.optional("run_id", Schema.runID, "The run (or give sweep_id)")
    static let sweepID = Param<String>.optional("sweep_id", RecordSchemas.sweepID, "The sweep (or give run_id)")
    static let declared = [runID.spec, sweepID.spec]

    enum Target { case run(String), sweep(String) }
    let target: Target

    init(from p: ParamReader) throws(RPCError) {
        switch (try p.optional(Self.runID), try p.optional(Self.sweepID)) {
        case (let id?, nil): target = .run(id)
        case (nil, let id?): target = .sweep(id)
        case (nil, nil): throw RPCError.invalidParams(field: "run_id", expected: "run_id or sweep_id", got: nil)
        case (_?, _?): throw RPCError.invalidParams(field: "sweep_id", expected: "run_id or sweep_id, not both", got: nil)
        }
    }
}

/// What `status {sweep_id}` and `cancel {sweep_id}` answer.
struct SweepStatus: JSONEncodable {
    let sweep: SweepRecord
    let summary: SweepSummary

    var json: JSONValue {
        var o = summary.countsJSON(bestWhenNone: .null)
        o["script"] = .string(sweep.script)
        o["created_at"] = .string(ISOTime.format(millis: sweep.createdAt))
        o["rank_by"] = .from(sweep.rankBy)
        return .object(o)
    }

    init(_ ws: Workspace, _ sweepID: String, summary: SweepSummary? = nil) throws {
        sweep = try ws.sweepRecord(sweepID)
        self.summary = try summary ?? ws.sweepSummary(sweepID)
    }
}

extension SweepSummary {
    /// The counts as `sweep/progress` and `status {sweep_id}` both give them: `running` counts validating
    /// runs too; `best` is `bestWhenNone` (nil: left out) while no completed run has a `rank_by` value.
    func countsJSON(bestWhenNone: JSONValue?) -> JSONObject {
        var o: JSONObject = [
            "sweep_id": .string(sweepID), "total": .int(Int64(total)), "queued": .int(Int64(count(.queued))),
            "running": .int(Int64(count(.running) + count(.validating))), "completed": .int(Int64(count(.completed))),
            "failed": .int(Int64(count(.failed))), "cancelled": .int(Int64(count(.cancelled))),
        ]
        let b = best.map { JSONValue.object(["run_id": .string($0.runID), "metric": .string($0.metric), "value": .double($0.value)]) }
        if let shown = b ?? bestWhenNone { o["best"] = shown }
        return o
    }
}
