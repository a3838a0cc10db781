import JSON

/// Hides secrets before anything but the run's private spec is written: values of environment variables and
/// params whose names look secret, credentials inside URLs (`postgres://user:pw@host/db`) wherever they
/// appear, and the argv words that carry a secret param's value.
///
/// Names are matched by fragment, case-insensitively, anywhere in the name. Broad on purpose: `MONKEY_MODE`
/// being hidden costs nothing, `API_KEY` being written to disk could cost a lot. A workspace adds its own
/// fragments (`secret_names` in backtest-rpc.json). The script itself still receives every value.
public struct SecretRedaction: Sendable, Equatable {
    /// Name fragments that mark a secret.
    public static let markers = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASS", "PWD", "CREDENTIAL", "AUTH", "PRIVATE",
                                 "COOKIE", "SESSION"]

    /// What replaces a secret value.
    public static let mask = "***"

    /// The built-in fragments only.
    public static let standard = SecretRedaction()

    /// Fragments in force, upper-cased: the built-in ones and the workspace's.
    public let fragments: [String]

    public init(extraNames: [String] = []) {
        fragments = Self.markers + extraNames.map { $0.uppercased() }.filter { !$0.isEmpty }
    }

    /// True when `name` looks like it holds a secret.
    public func isSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return fragments.contains { upper.contains($0) }
    }

    /// True when `name` looks like it holds a secret, by the built-in fragments.
    public static func isSecret(_ name: String) -> Bool { standard.isSecret(name) }

    /// The same variables with secret values masked and URL credentials hidden in the others.
    public func redact(env: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in env { out[name] = isSecret(name) ? Self.mask : Self.hidingURLCredentials(value) }
        return out
    }

    /// `redact(env:)` with the built-in fragments.
    public static func redact(_ env: [String: String]) -> [String: String] { standard.redact(env: env) }

    /// Params with secret-named members masked (whatever their type), at any depth, and URL credentials
    /// hidden in every string.
    public func redact(params: JSONObject) -> JSONObject {
        JSONObject(pairs: params.map { ($0.key, isSecret($0.key) ? .string(Self.mask) : redact(value: $0.value)) })
    }

    private func redact(value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(Self.hidingURLCredentials(s))
        case .array(let items): return .array(items.map(redact(value:)))
        case .object(let o): return .object(redact(params: o))
        default: return value
        }
    }

    /// argv as it may be shown: every word equal to a secret value (or the value part of `--name=value`) is
    /// masked, and URL credentials are hidden.
    public func redact(argv: [String], secretValues: Set<String>) -> [String] {
        argv.map { word in
            if secretValues.contains(word) { return Self.mask }
            if let eq = word.firstIndex(of: "="), word.hasPrefix("-"), secretValues.contains(String(word[word.index(after: eq)...])) {
                return word[...eq] + Self.mask
            }
            return Self.hidingURLCredentials(word)
        }
    }

    /// The values a run must not show: those of secret-named params (as they reach argv) and variables.
    public func secretValues(params: JSONObject, env: [String: String]) -> Set<String> {
        var out = Set<String>()
        func add(_ v: JSONValue) {
            switch v {
            case .string(let s): out.insert(s)
            case .int(let i): out.insert(String(i))
            case .double: out.insert(JSONWriter.string(v))
            case .array(let items): items.forEach(add)
            case .object: out.insert(JSONWriter.string(v))
            default: break
            }
        }
        for (name, value) in params where isSecret(name) { add(value) }
        for (name, value) in env where isSecret(name) { out.insert(value) }
        out.remove("")
        return out
    }

    /// `text` with the password of every `scheme://user:password@host` replaced by `***`.
    public static func hidingURLCredentials(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var out = ""
        var rest = Substring(text)
        while let sep = rest.firstRange(of: "://") {
            out += rest[..<sep.upperBound]
            rest = rest[sep.upperBound...]
            // The authority ends at the first '/', '?', '#' or space; its userinfo before the last '@'.
            let end = rest.firstIndex { "/?# \t\n\"'".contains($0) } ?? rest.endIndex
            let authority = rest[..<end]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                out += authority[...colon] + mask + authority[at...]
            } else {
                out += authority
            }
            rest = rest[end...]
        }
        return out + rest
    }
}
