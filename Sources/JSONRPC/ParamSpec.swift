import JSON

/// One by-name parameter of a method or a notification: what the dispatcher checks before the handler runs
/// and what the OpenRPC document shows.
public struct ParamSpec: Sendable, Equatable {
    public var name: String
    /// A JSON Schema; the subset `SchemaValidator` understands is enforced, the rest is documentation.
    public var schema: JSONValue
    public var required: Bool
    public var description: String?

    public init(name: String, schema: JSONValue, required: Bool = false, description: String? = nil) {
        self.name = name
        self.schema = schema
        self.required = required
        self.description = description
    }

    /// The OpenRPC Content Descriptor.
    var json: JSONValue {
        var o: JSONObject = ["name": .string(name)]
        if let description { o.appendUnchecked("description", .string(description)) }
        o.appendUnchecked("required", .bool(required))
        o.appendUnchecked("schema", schema)
        return .object(o)
    }
}
