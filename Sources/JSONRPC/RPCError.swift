import JSON

/// A JSON-RPC error object: what a failed request answers with. Handlers throw it to choose the error;
/// anything else they throw becomes `internalError`.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error code: a reserved JSON-RPC code (see `RPCErrorCode`) or an application code.
    public var code: Int
    /// A short human sentence.
    public var message: String
    /// Structured details a program can act on (`{field, expected, got}` and the like).
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "RPCError(\(code): \(message))" }

    /// The error object as it goes on the wire.
    public var json: JSONValue {
        var o = JSONObject()
        o.appendUnchecked("code", .int(Int64(code)))
        o.appendUnchecked("message", .string(message))
        if let data { o.appendUnchecked("data", data) }
        return .object(o)
    }

    // MARK: - The errors of the transport and the lifecycle

    /// -32700: the frame is not JSON. `offset` is the byte offset inside the frame where reading stopped.
    public static func parseError(reason: String, offset: Int? = nil) -> RPCError {
        var d: JSONObject = ["reason": .string(reason)]
        if let offset { d.appendUnchecked("offset", .int(Int64(offset))) }
        return RPCError(code: RPCErrorCode.parseError, message: "Parse error: \(reason)", data: .object(d))
    }

    /// -32600: not a JSON-RPC 2.0 request (wrong `jsonrpc`, no method, bad id, empty batch...).
    public static func invalidRequest(reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidRequest, message: "Invalid request: \(reason)",
                 data: ["reason": .string(reason)])
    }

    /// -32601: no such method. The name is the client's: echoed cut (`ClientEcho`).
    public static func methodNotFound(_ method: String) -> RPCError {
        let method = ClientEcho.text(method)
        return RPCError(code: RPCErrorCode.methodNotFound, message: "Method not found: \(method)",
                        data: ["method": .string(method)])
    }

    /// -32602: `field` (a path such as `env.HOME` or `args[2]`) is not what the method expects.
    /// `got` is left out when the field is missing. The field (it may be a name the client made up) and
    /// `got` are echoed cut, containers by their type name (`ClientEcho`); numbers as the client wrote them.
    public static func invalidParams(field: String, expected: String, got: JSONValue? = nil) -> RPCError {
        let field = ClientEcho.text(field)
        var d: JSONObject = ["field": .string(field), "expected": .string(expected)]
        var message = "Invalid params: \(field): expected \(expected)"
        if let got {
            let echo = ClientEcho.value(got)
            d.appendUnchecked("got", echo)
            if case .string(let s) = echo { message += ", got \(s)" }
            else { message += ", got \(JSONWriter.string(echo, numbersAsWritten: true))" }
        }
        return RPCError(code: RPCErrorCode.invalidParams, message: message, data: .object(d))
    }

    /// -32603: a bug. The server keeps serving.
    public static func internalError(reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.internalError, message: "Internal error: \(reason)",
                 data: ["reason": .string(reason)])
    }

    /// -32002: `--strict` and a request before `initialize`.
    public static func serverNotInitialized(method: String) -> RPCError {
        let method = ClientEcho.text(method)
        return RPCError(code: RPCErrorCode.serverNotInitialized,
                 message: "Server not initialized: send initialize before \(method)",
                 data: ["method": .string(method)])
    }

    /// -32800: the client cancelled the request before it was answered.
    public static func requestCancelled(id: RequestID) -> RPCError {
        RPCError(code: RPCErrorCode.requestCancelled, message: "Request cancelled", data: ["id": ClientEcho.value(id.json)])
    }

    /// 1001: a request after `shutdown`.
    public static func shuttingDown(method: String) -> RPCError {
        let method = ClientEcho.text(method)
        return RPCError(code: RPCErrorCode.shuttingDown, message: "Server is shutting down: \(method) refused",
                 data: ["method": .string(method)])
    }

    /// 1002: a frame over the size limit; the frame was skipped and the stream is still in sync.
    public static func messageTooLarge(size: Int, limit: Int) -> RPCError {
        RPCError(code: RPCErrorCode.messageTooLarge,
                 message: "Message too large: \(size) bytes, the limit is \(limit)",
                 data: ["size": .int(Int64(size)), "limit": .int(Int64(limit))])
    }
}
