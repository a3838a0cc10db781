import JSON

/// Typed access to one JSON object of a config file (`backtest-rpc.json`, its `validation` and `profiles`
/// sections, the user's config.json), with the key path of every member, so that each mistake is reported
/// where it is (`validation.rules.min_trades: expected a non-negative integer, got -1`). Unknown members are
/// refused: a misspelt key that silently does nothing is the worst kind of config error.
///
/// The reasons are documented (docs/configuration.md, docs/validation.md) and clients match on them: a getter
/// keeps its wording, and a new wording is a new getter or a caller's own `error`.
package struct ConfigReader {
    package let object: JSONObject
    /// The key path of this object; empty for the file's top level.
    package let path: String

    package init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// Reads the config file at `file` (which exists) as a JSON object. What is wrong with the file as a whole
    /// has the empty key.
    package static func load(file: String) throws(ConfigError) -> ConfigReader {
        let bytes: [UInt8]
        do { bytes = try ReadOnlyFile(path: file).readAll(limit: Int.max) ?? [] } catch {
            throw ConfigError(key: "", reason: "cannot be read: \(error.reason)")
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch {
            throw ConfigError(key: "", reason: "not valid JSON: \(error.description)")
        }
        guard let object = value.objectValue else {
            throw ConfigError(key: "", reason: "expected a JSON object, got \(value.typeName)")
        }
        return ConfigReader(object, path: "")
    }

    /// Reads `value` at `path` as an object.
    package static func object(_ value: JSONValue, path: String) throws(ConfigError) -> ConfigReader {
        guard let o = value.objectValue else { throw ConfigError(key: path, reason: "expected an object, got \(value.typeName)") }
        return ConfigReader(o, path: path)
    }

    /// The key path of member `k`: `a.b` for ordinary names, `a["x.csv"]` for names that are not identifiers.
    package func key(_ k: String) -> String { ConfigReader.join(path, k) }

    /// `a.b` for ordinary names, `a["x.csv"]` for names that are not identifiers (file names). A top-level
    /// member is named as it is written in the file.
    package static func join(_ path: String, _ k: String) -> String {
        if path.isEmpty { return k }
        let plain = !k.isEmpty && k.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 45
        }
        return plain ? "\(path).\(k)" : "\(path)[\"\(k)\"]"
    }

    /// The key path of a member whose name is data rather than a setting (an environment variable, a file
    /// extension, a workspace root): always in brackets, `env["A"]`.
    package func quotedKey(_ k: String) -> String { "\(path)[\"\(k)\"]" }

    /// An error at member `k` of this object.
    package func error(_ k: String, _ reason: String) -> ConfigError { ConfigError(key: key(k), reason: reason) }

    /// The member's value; nil when it is absent or null (both mean "not set").
    package func value(_ k: String) -> JSONValue? {
        guard let v = object[k], !v.isNull else { return nil }
        return v
    }

    /// Refuses the first member not in `allowed`, listing the known ones.
    package func checkKeys(_ allowed: [String]) throws(ConfigError) {
        for k in object.keys where !allowed.contains(k) {
            throw error(k, "unknown key (known: \(allowed.joined(separator: ", ")))")
        }
    }

    /// Refuses the first member not in `allowed`, suggesting the nearest known one (for a file's top level,
    /// where the list would be long).
    package func checkKeys(suggestingNearestOf allowed: [String]) throws(ConfigError) {
        for k in object.keys where !allowed.contains(k) {
            var reason = "unknown key"
            if let near = Self.nearest(to: k, in: allowed) { reason += " (did you mean \(near)?)" }
            throw error(k, reason)
        }
    }

    /// The candidate closest to a mistyped key (edit distance ≤ 3).
    package static func nearest(to key: String, in candidates: [String]) -> String? {
        let a = Array(key.lowercased().utf8)
        var best: (String, Int)?
        for k in candidates {
            let b = Array(k.utf8)
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            let d = prev[b.count]
            if d <= 3, best == nil || d < best!.1 { best = (k, d) }
        }
        return best?.0
    }

    /// Member `k` as `convert` reads it; nil when it is not set; when `convert` refuses it, an error
    /// `expected <expected>, got <its type>`.
    private func read<T>(_ k: String, expected: String, _ convert: (JSONValue) -> T?) throws(ConfigError) -> T? {
        guard let v = value(k) else { return nil }
        guard let x = convert(v) else { throw error(k, "expected \(expected), got \(v.typeName)") }
        return x
    }

    package func string(_ k: String) throws(ConfigError) -> String? {
        try read(k, expected: "a string") { $0.stringValue }
    }

    /// A string that can name a file or be passed to exec: not empty, no NUL byte.
    package func nonEmptyString(_ k: String) throws(ConfigError) -> String? {
        guard let s = try read(k, expected: "a non-empty string", { $0.stringValue.flatMap { $0.isEmpty ? nil : $0 } }) else { return nil }
        guard !s.utf8.contains(0) else { throw error(k, "contains a NUL byte") }
        return s
    }

    package func bool(_ k: String) throws(ConfigError) -> Bool? {
        try read(k, expected: "true or false") { $0.boolValue }
    }

    package func nonNegativeInt(_ k: String) throws(ConfigError) -> Int? {
        guard let v = value(k) else { return nil }
        guard let i = v.intValue, i >= 0 else { throw error(k, "expected a non-negative integer, got \(describe(v))") }
        return i
    }

    /// An integer within `range`.
    package func integer(_ k: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let v = value(k) else { return nil }
        guard let n = v.intValue else {
            throw error(k, "expected an integer, got \(v.typeName == "number" ? "a fraction" : v.typeName)")
        }
        guard range.contains(n) else {
            throw error(k, "must be between \(range.lowerBound) and \(range.upperBound), got \(n)")
        }
        return n
    }

    /// How a wrong value is named in a number's error: as written (`got "10"`, the validation sections) or by
    /// its type (`got string`, the top-level settings). Both wordings are documented.
    package enum Naming { case value, type }

    /// A finite number, optionally positive or non-negative.
    package func number(_ k: String, positive: Bool = false, nonNegative: Bool = false,
                        naming: Naming = .value) throws(ConfigError) -> Double? {
        guard let v = value(k) else { return nil }
        let got = naming == .value ? describe(v) : v.typeName
        guard let d = v.doubleValue, d.isFinite else { throw error(k, "expected a number, got \(got)") }
        if positive && d <= 0 { throw error(k, "expected a positive number, got \(got)") }
        if nonNegative && d < 0 { throw error(k, "expected a non-negative number, got \(got)") }
        return d
    }

    package func strings(_ k: String) throws(ConfigError) -> [String]? {
        guard let a = try read(k, expected: "an array of strings", { $0.arrayValue }) else { return nil }
        var out: [String] = []
        for (i, e) in a.enumerated() {
            guard let s = e.stringValue else {
                throw ConfigError(key: "\(key(k))[\(i)]", reason: "expected a string, got \(e.typeName)")
            }
            out.append(s)
        }
        return out
    }

    /// Member `k` as an object; `expected` says what kind of object in the error (`an object of name → string`).
    package func child(_ k: String, expected: String = "an object") throws(ConfigError) -> ConfigReader? {
        try read(k, expected: expected) { $0.objectValue }.map { ConfigReader($0, path: key(k)) }
    }

    /// A value as an error shows it: scalars as written, anything else by its type.
    package func describe(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        case .int, .double, .bool: return JSONWriter.string(v)
        default: return v.typeName
        }
    }
}
