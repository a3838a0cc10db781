import JSON

/// Typed access to one object of the config, with the dotted key path of every member so that each mistake is
/// reported where it is (`validation.rules.min_trades: expected a non-negative integer`). Unknown members are
/// refused: a misspelt key that silently does nothing is the worst kind of config error.
struct ConfigReader {
    let object: JSONObject
    let path: String

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// Reads `value` at `path` as an object.
    static func object(_ value: JSONValue, path: String) throws(ValidationConfigError) -> ConfigReader {
        guard let o = value.objectValue else {
            throw ValidationConfigError(key: path, reason: "expected an object, got \(value.typeName)")
        }
        return ConfigReader(o, path: path)
    }

    func key(_ k: String) -> String { ConfigReader.join(path, k) }

    /// `a.b` for ordinary names, `a["x.csv"]` for names that are not identifiers (file names).
    static func join(_ path: String, _ k: String) -> String {
        let plain = !k.isEmpty && k.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 45
        }
        let member = plain ? k : "[\"\(k)\"]"
        if path.isEmpty { return member }
        return plain ? "\(path).\(k)" : "\(path)\(member)"
    }

    func checkKeys(_ allowed: [String]) throws(ValidationConfigError) {
        for k in object.keys where !allowed.contains(k) {
            throw ValidationConfigError(key: key(k), reason: "unknown key (known: \(allowed.joined(separator: ", ")))")
        }
    }

    func string(_ k: String) throws(ValidationConfigError) -> String? {
        guard let v = object[k], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw ValidationConfigError(key: key(k), reason: "expected a string, got \(v.typeName)") }
        return s
    }

    func bool(_ k: String) throws(ValidationConfigError) -> Bool? {
        guard let v = object[k], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw ValidationConfigError(key: key(k), reason: "expected true or false, got \(v.typeName)") }
        return b
    }

    func nonNegativeInt(_ k: String) throws(ValidationConfigError) -> Int? {
        guard let v = object[k], !v.isNull else { return nil }
        guard let i = v.intValue, i >= 0 else {
            throw ValidationConfigError(key: key(k), reason: "expected a non-negative integer, got \(describe(v))")
        }
        return i
    }

    func number(_ k: String, positive: Bool = false, nonNegative: Bool = false) throws(ValidationConfigError) -> Double? {
        guard let v = object[k], !v.isNull else { return nil }
        guard let d = v.doubleValue, d.isFinite else {
            throw ValidationConfigError(key: key(k), reason: "expected a number, got \(describe(v))")
        }
        if positive && d <= 0 { throw ValidationConfigError(key: key(k), reason: "expected a positive number, got \(describe(v))") }
        if nonNegative && d < 0 {
            throw ValidationConfigError(key: key(k), reason: "expected a non-negative number, got \(describe(v))")
        }
        return d
    }

    func strings(_ k: String) throws(ValidationConfigError) -> [String]? {
        guard let v = object[k], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw ValidationConfigError(key: key(k), reason: "expected an array of strings, got \(v.typeName)") }
        var out: [String] = []
        for (i, e) in a.enumerated() {
            guard let s = e.stringValue else {
                throw ValidationConfigError(key: "\(key(k))[\(i)]", reason: "expected a string, got \(e.typeName)")
            }
            out.append(s)
        }
        return out
    }

    func child(_ k: String) throws(ValidationConfigError) -> ConfigReader? {
        guard let v = object[k], !v.isNull else { return nil }
        return try ConfigReader.object(v, path: key(k))
    }

    func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        case .int, .double, .bool: return JSONWriter.string(v)
        default: return v.typeName
        }
    }
}
