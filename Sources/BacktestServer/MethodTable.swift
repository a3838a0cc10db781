import JSON
import JSONRPC

/// The method table: every method the server offers, grouped by concern, one file per group. The same
/// table drives dispatch, parameter validation and the published contract (`rpc.discover`).
enum MethodTable {
    static func register(into r: MethodRegistry, session s: ServerSession) {
        HealthMethod.register(r, s)
        RunMethods.register(r, s)
        SubscriptionMethods.register(r, s)
        ResultMethods.register(r, s)
        ProvenanceMethods.register(r, s)
        Notifications.declare(r)
        if s.options.debugMethods { DebugMethods.register(r, s) }
    }
}

extension MethodSpec {
    /// A concurrent method described by its params and result; `errors` are application codes.
    static func method(_ name: String, _ summary: String, params: [ParamSpec] = [], result: JSONValue,
                       errors: [Int] = [], inline: Bool = false, hidden: Bool = false,
                       description: String? = nil) -> MethodSpec {
        MethodSpec(name: name, summary: summary, description: description, params: params, result: result,
                   errors: errors.map(ErrorCode.spec), execution: inline ? .inline : .concurrent, hidden: hidden)
    }
}

extension ParamSpec {
    static func required(_ name: String, _ schema: JSONValue, _ description: String) -> ParamSpec {
        ParamSpec(name: name, schema: schema, required: true, description: description)
    }
    static func optional(_ name: String, _ schema: JSONValue, _ description: String) -> ParamSpec {
        ParamSpec(name: name, schema: schema, required: false, description: description)
    }
}
