import JSON

/// What code capture copied into `<run_dir>/code`, and what it has to say about it.
public struct CodeCaptureResult: Sendable {
    public var mode: CodeCaptureMode
    /// Where the entry script is inside `code/` (`main.py`): what a rerun starts. Nil if it was not copied.
    public var entry: String?
    /// The copied files, sorted by path; paths are relative to `code/` (see `CodeCapture`).
    public var files: [CapturedFile]
    /// Problems worth a line in the run record's warnings: a listed file missing, a copy that failed.
    public var warnings: [String]
    /// Debug-level lines for the run's log: the mode used and one `captured <path>` per file.
    public var log: [String]

    public init(mode: CodeCaptureMode, entry: String? = nil, files: [CapturedFile], warnings: [String], log: [String]) {
        self.mode = mode
        self.entry = entry
        self.files = files
        self.warnings = warnings
        self.log = log
    }

    /// `{mode, entry, files: [{path, size, sha256}]}` for the metadata document.
    public func json() -> JSONValue {
        .object(JSONObject(pairs: [
            ("mode", .string(mode.rawValue)), ("entry", .from(entry)), ("files", .array(files.map { $0.json() })),
        ]))
    }
}
