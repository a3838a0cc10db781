import JSON

/// The interpreter that ran a script, as it really is: a pyenv shim resolved to the executable behind it.
public struct InterpreterInfo: Sendable, Equatable {
    /// The real executable (`sys.executable` for Python).
    public var path: String
    /// `3.11.7` for Python; the first line of `--version` for anything else.
    public var version: String

    public init(path: String, version: String) {
        self.path = path
        self.version = version
    }

    public func json() -> JSONValue {
        .object(JSONObject(pairs: [("path", .string(path)), ("version", .string(version))]))
    }
}
