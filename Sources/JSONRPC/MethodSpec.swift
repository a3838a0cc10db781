import JSON

/// Everything the layer knows about a method: it drives dispatch, parameter validation, capabilities and
/// the OpenRPC document from one place, so they cannot disagree.
public struct MethodSpec: Sendable {
    /// Where the handler runs.
    public enum Execution: Sendable, Equatable {
        /// On the reader thread, before the next message is read: for cheap, non-blocking handlers. Keeps
        /// the order of answers equal to the order of requests and saves a thread hop (the fast path).
        case inline
        /// On a concurrent queue, so that a slow handler does not hold up the stream. Can be cancelled.
        case concurrent
    }

    public var name: String
    public var summary: String
    public var description: String?
    public var params: [ParamSpec]
    /// JSON Schema of the result, with a `title` (it names the OpenRPC result descriptor).
    public var result: JSONValue
    /// The application errors this method can answer with.
    public var errors: [ErrorSpec]
    public var execution: Execution
    /// Left out of capabilities and the OpenRPC document (test-only and debugging methods).
    public var hidden: Bool
    /// Accept params that are not declared instead of refusing them (`initialize`: LSP clients send more).
    public var allowsUnknownParams: Bool

    public init(name: String, summary: String, description: String? = nil, params: [ParamSpec] = [],
                result: JSONValue, errors: [ErrorSpec] = [], execution: Execution = .concurrent,
                hidden: Bool = false, allowsUnknownParams: Bool = false) {
        self.name = name
        self.summary = summary
        self.description = description
        self.params = params
        self.result = result
        self.errors = errors
        self.execution = execution
        self.hidden = hidden
        self.allowsUnknownParams = allowsUnknownParams
    }
}
