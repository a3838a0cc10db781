import JSON

/// A Swift type a param decodes into, from the project's own `JSONValue` (no Codable on the request path:
/// it is several times slower here). The value was already checked against the param's schema, so a
/// failure here means the schema and the type disagree; it is still a clean -32602 naming the field's path.
public protocol ParamValue: Sendable {
    static func decode(_ value: JSONValue, field: String) throws(RPCError) -> Self
}

extension ParamValue {
    static func mismatch(_ value: JSONValue, _ field: String, _ expected: String) -> RPCError {
        .invalidParams(field: field, expected: expected, got: value)
    }
}

extension ParamValue {
    /// A scalar read with `get`, or the mismatch naming what was `expected`.
    static func scalar(_ value: JSONValue, _ field: String, _ expected: String,
                       _ get: (JSONValue) -> Self?) throws(RPCError) -> Self {
        guard let v = get(value) else { throw mismatch(value, field, expected) }
        return v
    }
}

/// A param that is one JSON scalar: decoding is reading it with `read`, or the mismatch error naming `expected`.
public protocol ScalarParamValue: ParamValue {
    static var expected: String { get }
    static var read: KeyPath<JSONValue, Self?> { get }
}

extension ScalarParamValue {
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> Self {
        try scalar(value, field, expected) { $0[keyPath: read] }
    }
}

extension String: ScalarParamValue {
    public static var expected: String { "a string" }
    public static var read: KeyPath<JSONValue, String?> { \.stringValue }
}

extension Int: ScalarParamValue {
    public static var expected: String { "an integer" }
    public static var read: KeyPath<JSONValue, Int?> { \.intValue }
}

extension Double: ScalarParamValue {
    public static var expected: String { "a number" }
    public static var read: KeyPath<JSONValue, Double?> { \.doubleValue }
}

extension Bool: ScalarParamValue {
    public static var expected: String { "true or false" }
    public static var read: KeyPath<JSONValue, Bool?> { \.boolValue }
}

extension JSONValue: ParamValue {
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> JSONValue { value }
}

extension JSONObject: ParamValue {
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> JSONObject {
        guard let o = value.objectValue else { throw mismatch(value, field, "an object") }
        return o
    }
}

extension Array: ParamValue where Element: ParamValue {
    /// Elements are named `field[n]` in errors.
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> [Element] {
        guard let items = value.arrayValue else { throw mismatch(value, field, "an array") }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for (n, item) in items.enumerated() { out.append(try Element.decode(item, field: "\(field)[\(n)]")) }
        return out
    }
}

extension Dictionary: ParamValue where Key == String, Value: ParamValue {
    /// Members are named `field.name` in errors.
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> [String: Value] {
        guard let o = value.objectValue else { throw mismatch(value, field, "an object") }
        var out: [String: Value] = [:]
        for (k, v) in o { out[k] = try Value.decode(v, field: "\(field).\(k)") }
        return out
    }
}

/// A string param with a fixed set of values (`"asc"`/`"desc"`): decoded into its enum.
public protocol StringEnumParam: ParamValue, RawRepresentable where RawValue == String {}

extension StringEnumParam {
    public static func decode(_ value: JSONValue, field: String) throws(RPCError) -> Self {
        guard let s = value.stringValue, let v = Self(rawValue: s) else { throw mismatch(value, field, "one of the listed values") }
        return v
    }
}
