import BacktestCore
import JSON
import JSONRPC

/// `subscribe`: notifications for a run this client did not start, or for every run.
struct SubscribeMethod: RPCMethod {
    let session: ServerSession
    typealias Params = SubscriptionParams

    static let name = "subscribe"
    static let summary = "Get run/status, run/log and run/progress for a run, or for all runs"
    static let resultSchema = SubscriptionParams.result
    static let errors = [ErrorCode.runNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        if p.all == true {
            session.streams.subscribeAll(in: ws)
        } else if let id = p.runID {
            _ = try ws.record(runID: id)
            session.streams.subscribe(id, in: ws)
        } else {
            throw RPCError.invalidParams(field: "run_id", expected: "a run id, or all: true", got: nil)
        }
        return SubscriptionParams.answer(session)
    }
}

/// `unsubscribe`: stop notifications for a run, or for all runs.
struct UnsubscribeMethod: RPCMethod {
    let session: ServerSession
    typealias Params = SubscriptionParams

    static let name = "unsubscribe"
    static let summary = "Stop notifications for a run, or for all runs"
    static let resultSchema = SubscriptionParams.result

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        if p.all == true { session.streams.unsubscribeAll(in: try session.workspace()) }
        if let id = p.runID { session.streams.unsubscribe(id) }
        return SubscriptionParams.answer(session)
    }
}

/// What `subscribe` and `unsubscribe` take and answer.
struct SubscriptionParams: MethodParams {
    static let runID = Param<String>.optional("run_id", Schema.runID, "One run")
    static let all = Param<Bool>.optional("all", Schema.boolean(), "Every run of the workspace, including future ones")
    static let declared = [runID.spec, all.spec]
    static let result = Schema.object("Subscriptions", [
        ("subscribed", Schema.array(Schema.runID, "Runs this client gets notifications for")),
        ("all", Schema.boolean()),
    ], required: ["subscribed", "all"])

    let runID: String?, all: Bool?
    init(from p: ParamReader) throws(RPCError) {
        runID = try p.optional(Self.runID)
        all = try p.optional(Self.all)
    }

    static func answer(_ s: ServerSession) -> JSONValue {
        let subs = s.streams.subscriptions
        return ["subscribed": .from(subs.runs), "all": .bool(subs.all)]
    }
}
