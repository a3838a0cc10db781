import JSON

/// Whether a rerun reproduced its original, result file by result file.
public struct ReproductionCheck: Sendable, Equatable {
    /// True when both runs produced the same set of files with the same content.
    public var identical: Bool
    /// Files in both runs whose content differs.
    public var differing: [String]
    public var onlyInOriginal: [String]
    public var onlyInRerun: [String]

    /// `{identical, differing, only_in_original, only_in_rerun}` for both run records.
    public func json() -> JSONValue {
        .object(JSONObject(pairs: [
            ("identical", .bool(identical)), ("differing", .from(differing)),
            ("only_in_original", .from(onlyInOriginal)), ("only_in_rerun", .from(onlyInRerun)),
        ]))
    }
}
