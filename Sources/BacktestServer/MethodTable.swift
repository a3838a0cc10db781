import BacktestCore
import JSON
import JSONRPC

/// The method table: every method the server offers, one type per method in Methods/ (docs/architecture.md
/// maps each method to its file). The same table drives dispatch, parameter validation and the published
/// contract (`rpc.discover`); core errors become their documented JSON-RPC errors here, in one place.
enum MethodTable {
    static func register(into r: MethodRegistry, session s: ServerSession) {
        r.mapErrors { error in (error as? CoreError)?.rpcError ?? (error as? SearchSyntaxError)?.rpcError }
        r.register(HealthMethod(session: s))
        r.register(RunMethod(session: s))
        r.register(StatusMethod(session: s))
        r.register(LogsMethod(session: s))
        r.register(ListMethod(session: s))
        r.register(CancelMethod(session: s))
        r.register(SubscribeMethod(session: s))
        r.register(UnsubscribeMethod(session: s))
        r.register(ValidateMethod(session: s))
        r.register(ResultsMethod(session: s))
        r.register(ReadMethod(session: s))
        r.register(CompareMethod(session: s))
        r.register(ReportMethod(session: s))
        r.register(RerunMethod(session: s))
        r.register(SweepMethod(session: s))
        r.register(DeleteMethod(session: s))
        r.register(TagMethod(session: s))
        Notifications.declare(r)
        for (code, name) in ErrorCode.names { r.declareError(name, ErrorCode.spec(code)) }
        r.declareExtension("x-run-statuses", [
            "all": .from(RunStatus.allCases.map(\.rawValue)),
            "terminal": .from(RunStatus.allCases.filter(\.isTerminal).map(\.rawValue)),
        ])
        if s.options.debugMethods {
            r.register(DebugPrintMethod())
            r.register(DebugThrowMethod())
            r.register(DebugSleepMethod())
        }
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
