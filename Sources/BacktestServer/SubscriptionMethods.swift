import JSON
import JSONRPC

/// `subscribe` / `unsubscribe`: notifications for runs this client did not start (or for every run).
enum SubscriptionMethods {
    static let params: [ParamSpec] = [
        .optional("run_id", Schema.runID, "One run"),
        .optional("all", Schema.boolean(), "Every run of the workspace, including future ones"),
    ]
    static let result = Schema.object("Subscriptions", [
        ("subscribed", Schema.array(Schema.runID, "Runs this client gets notifications for")),
        ("all", Schema.boolean()),
    ], required: ["subscribed", "all"])

    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("subscribe", "Get run/status, run/log and run/progress for a run, or for all runs",
                           params: params, result: result, errors: [ErrorCode.runNotFound])) { p, _ in
            let ws = try s.workspace()
            if p.bool("all") == true {
                s.streams.subscribeAll(in: ws)
            } else if let id = p.string("run_id") {
                _ = try core { try ws.record(runID: id) }
                s.streams.subscribe(id, in: ws)
            } else {
                throw RPCError.invalidParams(field: "run_id", expected: "a run id, or all: true", got: nil)
            }
            return answer(s)
        }
        r.register(.method("unsubscribe", "Stop notifications for a run, or for all runs", params: params,
                           result: result)) { p, _ in
            if p.bool("all") == true { s.streams.unsubscribeAll(in: try s.workspace()) }
            if let id = p.string("run_id") { s.streams.unsubscribe(id) }
            return answer(s)
        }
    }

    static func answer(_ s: ServerSession) -> JSONValue {
        let subs = s.streams.subscriptions
        return ["subscribed": .from(subs.runs), "all": .bool(subs.all)]
    }
}
