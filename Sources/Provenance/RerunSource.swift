import Base

/// Where a rerun takes its code from: the original run's `code/` folder, as recorded in its metadata.
public struct RerunSource: Sendable, Equatable {
    public var runID: String
    /// The original run's `code/` folder.
    public var codeDir: String
    public var mode: CodeCaptureMode
    /// The entry script's path inside `code/`.
    public var entry: String?

    public init(runID: String, codeDir: String, mode: CodeCaptureMode, entry: String?) {
        self.runID = runID
        self.codeDir = codeDir
        self.mode = mode
        self.entry = entry
    }

    /// Reads the original run's metadata; nil when it has none or captured no code (nothing to rerun from).
    public static func load(runID: String, runDir: String) -> RerunSource? {
        guard let metadata = MetadataDocument.read(runDir: runDir) else { return nil }
        let code = metadata["code"]
        guard let entry = code["entry"].stringValue, FileSystem.kind(runDir + "/code/" + entry) == .file else { return nil }
        let mode = code["mode"].stringValue.flatMap(CodeCaptureMode.init(rawValue:)) ?? .imports
        return RerunSource(runID: runID, codeDir: runDir + "/code", mode: mode, entry: entry)
    }

    /// The script a rerun starts: the entry inside the *new* run's `code/` once `RunProvenance.start` has
    /// copied the code there.
    public func script(inCodeDir newCodeDir: String) -> String? {
        entry.map { newCodeDir + "/" + $0 }
    }
}
