import JSON

/// A method with typed params and result: the shape every application method has (the MCP Swift SDK's
/// `withMethodHandler(M.self)`). Params are decoded once into `Params`; the result is encoded from
/// `Result`; errors the application throws are mapped to JSON-RPC errors in one place (`MethodRegistry`'s
/// error mapping), so a handler just throws.
public protocol RPCMethod: Sendable {
    associatedtype Params: MethodParams
    associatedtype Result: JSONEncodable

    static var name: String { get }
    static var summary: String { get }
    static var description: String? { get }
    /// JSON Schema of the result, with a `title` (it names the OpenRPC result descriptor).
    static var resultSchema: JSONValue { get }
    /// The application errors it can answer with.
    static var errors: [ErrorSpec] { get }
    static var execution: MethodSpec.Execution { get }
    /// Left out of capabilities and discovery (test-only methods).
    static var hidden: Bool { get }

    func handle(_ params: Params, _ context: RequestContext) throws -> Result
}

extension RPCMethod {
    public static var description: String? { nil }
    public static var errors: [ErrorSpec] { [] }
    public static var execution: MethodSpec.Execution { .concurrent }
    public static var hidden: Bool { false }

    /// The spec dispatch and discovery use.
    public static var spec: MethodSpec {
        MethodSpec(name: name, summary: summary, description: description, params: Params.declared,
                   result: resultSchema, errors: errors, execution: execution, hidden: hidden)
    }
}

extension MethodRegistry {
    /// Registers a typed method: decode its params, call it, encode its result.
    public func register<M: RPCMethod>(_ method: M) {
        register(M.spec) { params, context in
            let decoded = try M.Params(from: ParamReader(params))
            return try method.handle(decoded, context).json
        }
    }
}
