/// The numeric error codes this layer answers with, in one place so that servers, tests and the
/// OpenRPC document agree. The JSON-RPC 2.0 reserved range is -32768...-32000; application codes
/// (1001 and up) live outside it, as the specification asks.
public enum RPCErrorCode {
    /// The frame is not JSON. Always answered with `id: null`.
    public static let parseError = -32700
    /// Not a JSON-RPC 2.0 request object, or an empty batch.
    public static let invalidRequest = -32600
    /// Unknown method, or a `$/` request.
    public static let methodNotFound = -32601
    /// A param is missing, of the wrong type, out of range, unknown, or params were given by position.
    public static let invalidParams = -32602
    /// A handler failed with something other than an `RPCError`: a bug, the server keeps serving.
    public static let internalError = -32603
    /// `--strict` and a request before `initialize` (the LSP code).
    public static let serverNotInitialized = -32002
    /// `$/cancelRequest` reached the request before it was answered (the LSP code).
    public static let requestCancelled = -32800
    /// A request after `shutdown`.
    public static let shuttingDown = 1001
    /// A frame over the configured size limit.
    public static let messageTooLarge = 1002
}
