import JSON

/// One param of a method: its declaration (what discovery shows and the dispatcher checks) and the type
/// it decodes into, in one value, so that a handler never reads a param by a name typed a second time.
public struct Param<Value: ParamValue>: Sendable {
    public let spec: ParamSpec

    /// A param the client must give.
    public static func required(_ name: String, _ schema: JSONValue, _ description: String) -> Param {
        Param(spec: ParamSpec(name: name, schema: schema, required: true, description: description))
    }

    /// A param the client may leave out (or send as null): it reads as nil.
    public static func optional(_ name: String, _ schema: JSONValue, _ description: String) -> Param {
        Param(spec: ParamSpec(name: name, schema: schema, required: false, description: description))
    }
}

/// The checked params of one call, read through `Param`s.
public struct ParamReader: Sendable {
    public let object: JSONObject

    public init(_ object: JSONObject) { self.object = object }

    /// A required param's value (present: the dispatcher checked that).
    public func value<V>(_ p: Param<V>) throws(RPCError) -> V {
        guard let raw = object[p.spec.name], !raw.isNull else {
            throw .invalidParams(field: p.spec.name, expected: SchemaValidator.describe(p.spec.schema))
        }
        return try V.decode(raw, field: p.spec.name)
    }

    /// An optional param whose null means something (its schema accepts null, so the checker keeps it):
    /// nil when absent, `.some(nil)` when null, else the value.
    public func nullable<V>(_ p: Param<V>) throws(RPCError) -> V?? {
        guard let raw = object[p.spec.name] else { return nil }
        if raw.isNull { return .some(nil) }
        return .some(try V.decode(raw, field: p.spec.name))
    }

    /// An optional param's value; nil when absent or null.
    public func optional<V>(_ p: Param<V>) throws(RPCError) -> V? {
        guard let raw = object[p.spec.name], !raw.isNull else { return nil }
        return try V.decode(raw, field: p.spec.name)
    }
}

/// The params of a method as one value, decoded once before the handler runs.
public protocol MethodParams: Sendable {
    /// The declared params, in the order discovery shows them.
    static var declared: [ParamSpec] { get }
    init(from params: ParamReader) throws(RPCError)
}

/// For methods that take no params.
public struct NoParams: MethodParams {
    public static let declared: [ParamSpec] = []
    public init(from params: ParamReader) throws(RPCError) {}
}
