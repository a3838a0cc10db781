import JSON

/// A data file a run reads, recorded by content so that two runs on different data are told apart even
/// when their code is the same.
public struct InputFile: Sendable, Equatable {
    /// Relative to the folder given to `InputData.describe` when inside it, else absolute.
    public var path: String
    public var size: Int64
    public var sha256: String

    public init(path: String, size: Int64, sha256: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }

    public func json() -> JSONValue {
        .object(JSONObject(pairs: [("path", .string(path)), ("size", .int(size)), ("sha256", .string(sha256))]))
    }
}
