/// A JSON value. Integers that fit in 64 bits stay integers, so ids and counts round-trip exactly.
/// Equality and hashing: see JSONValue+Equatable.swift.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// A number with its literal text, from `JSONParser.parse(_:keepingNumberText: true)` only: one that
    /// `.int` cannot spell back the same (a fraction, an exponent, `-0`, beyond 64 bits). It behaves as its
    /// `value` everywhere but `numberText` and `JSONWriter.numbersAsWritten`.
    case number(JSONNumber)
}

extension JSONValue {
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }

    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }

    /// An integer, also from a double with no fractional part (clients in some languages send 5.0). A double
    /// counts only up to 2^53 in magnitude: past that it is not an exact integer any more (1e16 + 1 reads as
    /// 1e16), and the params checker refuses such integers with the same bound.
    public var intValue: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return d.rounded() == d && abs(d) <= JSONValue.maxSafeInteger ? Int(d) : nil
        case .number(let n): return n.value.intValue
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .number(let n): return n.value.doubleValue
        default: return nil
        }
    }

    /// 2^53: the largest magnitude up to which every integer has an exact double, so the largest integer a
    /// JSON reader in any language (JavaScript's numbers are doubles) reads back unchanged.
    public static let maxSafeInteger: Double = 9_007_199_254_740_992

    /// A number's JSON text: as the client wrote it for a kept literal (`.number`), else as `JSONWriter`
    /// writes it. nil for anything that is not a number.
    public var numberText: String? {
        switch self {
        case .int(let i): return String(i)
        case .double: return JSONWriter.string(self)
        case .number(let n): return n.text
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// Member lookup; `.null` for anything that is not an object or lacks the key.
    public subscript(key: String) -> JSONValue {
        if case .object(let o) = self { return o[key] ?? .null }
        return .null
    }

    /// Element lookup; `.null` for anything that is not an array or lacks the index (reads like member
    /// lookup: `answer["runs"][0]["run_id"]`).
    public subscript(index: Int) -> JSONValue {
        if case .array(let a) = self, a.indices.contains(index) { return a[index] }
        return .null
    }

    /// The JSON type name, as used in error messages ("expected string, got number").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double, .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(pairs: elements))
    }
}

extension JSONValue {
    /// Convenience constructors that keep call sites short where optionals are involved.
    public static func from(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func from(_ i: Int?) -> JSONValue { i.map { .int(Int64($0)) } ?? .null }
    public static func from(_ d: Double?) -> JSONValue {
        guard let d, d.isFinite else { return .null }
        return .double(d)
    }
    public static func from(_ b: Bool?) -> JSONValue { b.map { .bool($0) } ?? .null }
    public static func from(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
}
