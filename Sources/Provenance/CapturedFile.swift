import JSON

/// A file recorded by content: a captured source file, a result file or an input (`InputFile`).
public struct CapturedFile: Sendable, Equatable {
    /// Path relative to the folder it was recorded from (`utils/helpers.py`, `trades.csv`).
    public var path: String
    public var size: Int64
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String

    public init(path: String, size: Int64, sha256: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }

    /// `{path, size, sha256}`, the form used in the metadata document and run records.
    public func json() -> JSONValue {
        .object(JSONObject(pairs: [("path", .string(path)), ("size", .int(size)), ("sha256", .string(sha256))]))
    }

    /// Reads back what `json()` wrote; nil for anything else.
    public init?(json: JSONValue) {
        guard let path = json["path"].stringValue, let sha = json["sha256"].stringValue else { return nil }
        self.init(path: path, size: Int64(json["size"].intValue ?? 0), sha256: sha)
    }
}
