import JSON

/// Small builders for the JSON Schemas that describe params and results. The same schemas validate
/// incoming params (in the JSON-RPC layer) and document the contract (`rpc.discover`, protocol/openrpc.json).
enum Schema {
    static func string(_ description: String? = nil, enum values: [String]? = nil, format: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": "string"]
        if let values { o["enum"] = .from(values) }
        if let format { o["format"] = .string(format) }
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func integer(_ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var o: JSONObject = ["type": "integer"]
        if let minimum { o["minimum"] = .int(Int64(minimum)) }
        if let maximum { o["maximum"] = .int(Int64(maximum)) }
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func number(_ description: String? = nil, exclusiveMinimum: Double? = nil) -> JSONValue {
        var o: JSONObject = ["type": "number"]
        if let exclusiveMinimum { o["exclusiveMinimum"] = .double(exclusiveMinimum) }
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func boolean(_ description: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": "boolean"]
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func array(_ items: JSONValue, _ description: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": "array", "items": items]
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    /// An object with the given members; `required` lists the ones that must be present.
    static func object(_ title: String? = nil, _ properties: [(String, JSONValue)], required: [String] = [],
                       additional: JSONValue? = nil, description: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": "object"]
        if let title { o["title"] = .string(title) }
        if let description { o["description"] = .string(description) }
        o["properties"] = .object(JSONObject(pairs: properties))
        if !required.isEmpty { o["required"] = .from(required) }
        if let additional { o["additionalProperties"] = additional }
        return .object(o)
    }

    /// A map from names to values of one schema (env, params).
    static func map(_ values: JSONValue, _ description: String? = nil) -> JSONValue {
        var o: JSONObject = ["type": "object", "additionalProperties": values]
        if let description { o["description"] = .string(description) }
        return .object(o)
    }

    static func nullable(_ s: JSONValue) -> JSONValue { ["oneOf": [s, ["type": "null"]]] }

    static let any: JSONValue = .object([:])

    static let timestamp = string("ISO 8601 UTC time with milliseconds", format: "date-time")
    static let runID = string("Run id: YYYYMMDD_HHMMSS_mmm[_NNN] (UTC creation time)")
}
