import JSON

/// Builds the OpenRPC 1.3 document (https://spec.open-rpc.org) from method specs. Extensions:
/// `x-notifications` (server→client), `x-client-notifications` (client→server, served by the layer), and
/// the transport's own errors under `components.errors`.
enum OpenRPCDocument {
    static let openRPCVersion = "1.3.2"

    static func make(title: String, version: String, description: String, methods: [MethodSpec],
                     notifications: [NotificationSpec], namedErrors: [(String, ErrorSpec)] = [],
                     extensions: [(String, JSONValue)] = []) -> JSONValue {
        var doc = JSONObject()
        doc.appendUnchecked("openrpc", .string(openRPCVersion))
        doc.appendUnchecked("info", ["title": .string(title), "version": .string(version),
                                     "description": .string(description)])
        doc.appendUnchecked("methods", .array(methods.sorted { $0.name < $1.name }.map(method)))
        var errors = transportErrors
        for (name, spec) in namedErrors.sorted(by: { $0.1.code < $1.1.code }) { errors.appendUnchecked(name, spec.json) }
        doc.appendUnchecked("components", ["errors": .object(errors)])
        doc.appendUnchecked("x-notifications", .array(notifications.sorted { $0.name < $1.name }.map(\.json)))
        doc.appendUnchecked("x-client-notifications",
                            .array(BuiltinMethods.clientNotifications.sorted { $0.name < $1.name }.map(\.json)))
        for (name, value) in extensions.sorted(by: { $0.0 < $1.0 }) { doc.appendUnchecked(name, value) }
        return .object(doc)
    }

    static func method(_ m: MethodSpec) -> JSONValue {
        var o = JSONObject()
        o.appendUnchecked("name", .string(m.name))
        o.appendUnchecked("summary", .string(m.summary))
        if let d = m.description { o.appendUnchecked("description", .string(d)) }
        o.appendUnchecked("paramStructure", "by-name")
        o.appendUnchecked("params", .array(m.params.map(\.json)))
        let resultName = m.result["title"].stringValue ?? "result"
        o.appendUnchecked("result", ["name": .string(resultName), "schema": m.result])
        if !m.errors.isEmpty { o.appendUnchecked("errors", .array(m.errors.map(\.json))) }
        return .object(o)
    }

    /// Errors any method can answer with, keyed by their snake_case names as in docs/protocol.md.
    static var transportErrors: JSONObject {
        let list: [(String, Int, String, JSONValue)] = [
            ("parse_error", RPCErrorCode.parseError, "Parse error",
             ["type": "object", "properties": ["reason": ["type": "string"], "offset": ["type": "integer"]]]),
            ("invalid_request", RPCErrorCode.invalidRequest, "Invalid request",
             ["type": "object", "properties": ["reason": ["type": "string"]]]),
            ("method_not_found", RPCErrorCode.methodNotFound, "Method not found",
             ["type": "object", "properties": ["method": ["type": "string"]]]),
            ("invalid_params", RPCErrorCode.invalidParams, "Invalid params",
             ["type": "object", "properties": ["field": ["type": "string"], "expected": ["type": "string"], "got": [:]]]),
            ("internal_error", RPCErrorCode.internalError, "Internal error",
             ["type": "object", "properties": ["reason": ["type": "string"]]]),
            ("server_not_initialized", RPCErrorCode.serverNotInitialized, "Server not initialized",
             ["type": "object", "properties": ["method": ["type": "string"]]]),
            ("request_cancelled", RPCErrorCode.requestCancelled, "Request cancelled",
             ["type": "object", "properties": ["id": ["type": ["integer", "string"]]]]),
            ("shutting_down", RPCErrorCode.shuttingDown, "Server is shutting down",
             ["type": "object", "properties": ["method": ["type": "string"]]]),
            ("message_too_large", RPCErrorCode.messageTooLarge, "Message too large",
             ["type": "object", "properties": ["size": ["type": "integer"], "limit": ["type": "integer"]]]),
        ]
        var o = JSONObject()
        for (name, code, message, data) in list {
            o.appendUnchecked(name, ErrorSpec(code: code, message: message, data: data).json)
        }
        return o
    }
}
