import JSON

/// Serves one request. `params` has already been checked against the method's `ParamSpec`s. Throw an
/// `RPCError` to answer with it; any other error answers -32603 with the error's description.
public typealias MethodHandler = @Sendable (_ params: JSONObject, _ context: RequestContext) throws -> JSONValue

/// Receives a client→server notification. Runs on the reader thread: it must not block.
public typealias NotificationHandler = @Sendable (_ params: JSONObject) -> Void
