import JSON
import JSONRPC

/// Typed access to params that the JSON-RPC layer has already checked against the method's schema, so a
/// wrong type here is a bug in the schema, not a user error.
extension JSONObject {
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func int(_ key: String) -> Int? { self[key]?.intValue }
    func double(_ key: String) -> Double? { self[key]?.doubleValue }
    func bool(_ key: String) -> Bool? { self[key]?.boolValue }
    func object(_ key: String) -> JSONObject? { self[key]?.objectValue }
    func strings(_ key: String) -> [String]? { self[key]?.arrayValue?.compactMap(\.stringValue) }

    func requiredString(_ key: String) throws -> String {
        guard let s = string(key) else { throw RPCError.invalidParams(field: key, expected: "string", got: self[key]) }
        return s
    }

    /// A string or an array of strings (list's `status` filter accepts both).
    func stringOrStrings(_ key: String) -> [String]? {
        if let s = string(key) { return [s] }
        return strings(key)
    }

    /// `{name: "value"}` with string values only (env).
    func stringMap(_ key: String) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object(key) ?? [:] { if let s = v.stringValue { out[k] = s } }
        return out
    }
}
