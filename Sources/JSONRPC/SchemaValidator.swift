import JSON

/// Checks a value against the JSON Schema subset that method params use, and says in words what was
/// expected, for `-32602 {field, expected, got}`.
///
/// Enforced keywords: `type` (a name or a list; `integer` accepts 5.0 but nothing past 2^53 in magnitude,
/// `number` nothing infinite), `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minLength`, `maxLength`, `minItems`, `maxItems`,
/// `items`, `properties`, `required`, `additionalProperties` (boolean or schema), `anyOf`, `oneOf` (treated
/// as `anyOf`: params schemas here use it for "string or array of strings", never to forbid overlaps).
/// Everything else (`title`, `description`, `default`, `examples`, `format`, `pattern`, ...) is
/// documentation only: a handler checks what it cannot express here.
enum SchemaValidator {
    /// nil when `value` satisfies `schema`, else the error naming the innermost offending field.
    static func validate(_ value: JSONValue, against schema: JSONValue, field: String) -> RPCError? {
        guard case .object(let s) = schema else { return nil }  // `true`/`{}`-like schemas accept anything

        if let anyOf = (s["anyOf"] ?? s["oneOf"])?.arrayValue {
            if !anyOf.contains(where: { validate(value, against: $0, field: field) == nil }) {
                return mismatch(field, schema, value)
            }
        }
        if let type = s["type"], !matchesType(value, type) {
            return mismatch(field, schema, value)
        }
        if let choices = s["enum"]?.arrayValue, !choices.contains(where: { same($0, value) }) {
            return mismatch(field, schema, value)
        }
        if let c = s["const"], !same(c, value) {
            return mismatch(field, schema, value)
        }

        switch value {
        case .int, .double, .number:
            let x = value.doubleValue!
            if let m = s["minimum"]?.doubleValue, x < m { return mismatch(field, schema, value) }
            if let m = s["maximum"]?.doubleValue, x > m { return mismatch(field, schema, value) }
            if let m = s["exclusiveMinimum"]?.doubleValue, x <= m { return mismatch(field, schema, value) }
            if let m = s["exclusiveMaximum"]?.doubleValue, x >= m { return mismatch(field, schema, value) }
        case .string(let str):
            // Lengths in characters, as JSON Schema counts them.
            if let m = s["minLength"]?.intValue, str.count < m { return mismatch(field, schema, value) }
            if let m = s["maxLength"]?.intValue, str.count > m { return mismatch(field, schema, value) }
        case .array(let items):
            if let m = s["minItems"]?.intValue, items.count < m { return mismatch(field, schema, value) }
            if let m = s["maxItems"]?.intValue, items.count > m { return mismatch(field, schema, value) }
            if let itemSchema = s["items"] {
                for (n, item) in items.enumerated() {
                    if let e = validate(item, against: itemSchema, field: "\(field)[\(n)]") { return e }
                }
            }
        case .object(let members):
            let properties = s["properties"]?.objectValue ?? JSONObject()
            if let required = s["required"]?.arrayValue {
                for case .string(let name) in required where members[name] == nil {
                    return .invalidParams(field: join(field, name),
                                          expected: properties[name].map(describe) ?? "a value")
                }
            }
            for (name, member) in members {
                let path = join(field, name)
                if let p = properties[name] {
                    if let e = validate(member, against: p, field: path) { return e }
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) {
                        return .invalidParams(field: path, expected: "no such member (known: \(properties.keys.joined(separator: ", ")))",
                                              got: member)
                    }
                    if let e = validate(member, against: extra, field: path) { return e }
                }
            }
        default:
            break
        }
        return nil
    }

    /// A short English phrase for what the schema accepts: "integer >= 1", "one of \"asc\", \"desc\"",
    /// "string or array of string".
    static func describe(_ schema: JSONValue) -> String {
        guard case .object(let s) = schema else { return "any value" }
        if let alternatives = (s["anyOf"] ?? s["oneOf"])?.arrayValue, !alternatives.isEmpty {
            return alternatives.map(describe).joined(separator: " or ")
        }
        if let choices = s["enum"]?.arrayValue {
            return "one of " + choices.map { JSONWriter.string($0) }.joined(separator: ", ")
        }
        if let c = s["const"] { return JSONWriter.string(c) }
        var words: String
        switch s["type"] {
        case .string(let t)?: words = t
        case .array(let ts)?: words = ts.compactMap(\.stringValue).joined(separator: " or ")
        default: words = "a value"
        }
        if s["type"]?.stringValue == "array", let items = s["items"] { words += " of " + describe(items) }
        var bounds: [String] = []
        if let m = s["minimum"] { bounds.append(">= \(JSONWriter.string(m))") }
        if let m = s["exclusiveMinimum"] { bounds.append("> \(JSONWriter.string(m))") }
        if let m = s["maximum"] { bounds.append("<= \(JSONWriter.string(m))") }
        if let m = s["exclusiveMaximum"] { bounds.append("< \(JSONWriter.string(m))") }
        if let m = s["minLength"]?.intValue { bounds.append(m == 1 ? "non-empty" : "at least \(m) characters") }
        if let m = s["maxLength"]?.intValue { bounds.append("at most \(m) characters") }
        if let m = s["minItems"]?.intValue { bounds.append("at least \(m) items") }
        if let m = s["maxItems"]?.intValue { bounds.append("at most \(m) items") }
        return bounds.isEmpty ? words : words + " " + bounds.joined(separator: ", ")
    }

    /// Whether the schema lets `null` through (then an explicit null is a value, not an absent param).
    static func acceptsNull(_ schema: JSONValue) -> Bool {
        guard case .object = schema else { return true }
        return validate(.null, against: schema, field: "") == nil
    }

    /// The -32602 for a value the schema refuses (`RPCError.invalidParams` cuts what it echoes). An integer
    /// refused for its size only says so: "integer >= 0" alone would not explain why 1e16 is wrong.
    private static func mismatch(_ field: String, _ schema: JSONValue, _ value: JSONValue) -> RPCError {
        var expected = describe(schema)
        if isIntegral(value), !isSafeInteger(value), allowsInteger(schema) {
            expected += " (an integer at most 2^53 = 9007199254740992 in magnitude)"
        }
        return .invalidParams(field: field, expected: expected, got: value)
    }

    /// An integer every JSON reader reads exactly: integral and at most 2^53 in magnitude. Past that a double
    /// (and JavaScript) cannot tell 1e16 from 1e16 + 1, and `JSONValue.intValue` returns nil, so a handler
    /// would treat `offset: 1e16` as absent: it is refused here instead, for every method at once.
    static func isSafeInteger(_ value: JSONValue) -> Bool {
        switch value {
        case .int(let i): return i.magnitude <= 1 << 53
        case .double(let d): return d.rounded() == d && abs(d) <= JSONValue.maxSafeInteger
        case .number(let n): return isSafeInteger(n.value)
        default: return false
        }
    }

    private static func isIntegral(_ value: JSONValue) -> Bool {
        guard let d = value.doubleValue else { return false }
        return d.isFinite && d.rounded() == d
    }

    /// Whether the schema's type (or one of its alternatives) is `integer`.
    private static func allowsInteger(_ schema: JSONValue) -> Bool {
        guard case .object(let s) = schema else { return false }
        if let alternatives = (s["anyOf"] ?? s["oneOf"])?.arrayValue, alternatives.contains(where: allowsInteger) {
            return true
        }
        switch s["type"] {
        case .string(let t)?: return t == "integer"
        case .array(let ts)?: return ts.contains(.string("integer"))
        default: return false
        }
    }

    private static func join(_ field: String, _ name: String) -> String {
        field.isEmpty ? name : "\(field).\(name)"
    }

    private static func matchesType(_ value: JSONValue, _ type: JSONValue) -> Bool {
        switch type {
        case .string(let t): return matches(value, t)
        case .array(let ts): return ts.contains { $0.stringValue.map { matches(value, $0) } ?? false }
        default: return true
        }
    }

    private static func matches(_ value: JSONValue, _ t: String) -> Bool {
        switch (t, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
             ("number", .int):
            return true
        case ("number", .double), ("number", .number):
            return value.doubleValue!.isFinite  // 1e400 reads as infinity: not a number anyone meant
        case ("integer", _):
            return isSafeInteger(value)
        default:
            return false
        }
    }

    /// JSON equality where 5 and 5.0 are the same number (for `enum` and `const`).
    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}
