import JSON

/// Whether a rerun reproduced its original, result file by result file.
public struct ReproductionCheck: Sendable, Equatable {
    /// True when every result file is identical (or ignored, or equivalent under the config's
    /// `reproduction` rules) and none is present in one run only.
    public var identical: Bool
    /// Files in both runs whose content differs (and is not ignored).
    public var differing: [String]
    public var onlyInOriginal: [String]
    public var onlyInRerun: [String]
    /// Files the verdict leaves out: matched by `ignore_files`, or equal once `ignore_json_keys` are dropped.
    public var ignored: [String]
    /// Every file of either run with its verdict and both hashes, sorted by path.
    public var files: [File]

    public struct File: Sendable, Equatable {
        public var path: String
        public var verdict: Reproduction.Verdict
        public var originalSHA256: String?
        public var rerunSHA256: String?

        func json() -> JSONValue {
            .object(JSONObject(pairs: [
                ("path", .string(path)), ("verdict", .string(verdict.rawValue)),
                ("original_sha256", .from(originalSHA256)), ("rerun_sha256", .from(rerunSHA256)),
            ]))
        }
    }

    public init(identical: Bool, differing: [String], onlyInOriginal: [String], onlyInRerun: [String],
                ignored: [String] = [], files: [File] = []) {
        self.identical = identical
        self.differing = differing
        self.onlyInOriginal = onlyInOriginal
        self.onlyInRerun = onlyInRerun
        self.ignored = ignored
        self.files = files
    }

    /// `{identical, differing, only_in_original, only_in_rerun, ignored, files}` for both run records.
    public func json() -> JSONValue {
        .object(JSONObject(pairs: [
            ("identical", .bool(identical)), ("differing", .from(differing)),
            ("only_in_original", .from(onlyInOriginal)), ("only_in_rerun", .from(onlyInRerun)),
            ("ignored", .from(ignored)), ("files", .array(files.map { $0.json() })),
        ]))
    }
}
