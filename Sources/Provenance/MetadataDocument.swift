import Base
import JSON

/// `metadata/backtest_metadata.json`: everything needed to say, weeks later, what produced a result.
///
/// Written pretty-printed when the run starts (`writeStart`) and completed when it ends (`writeEnd`), each
/// time atomically (temp file + rename), so a reader never sees half a document. Member order is fixed and
/// reads top-down: identity, interpreter and invocation, environment, host, code, data, then the outcome.
public struct MetadataDocument: Sendable {
    public var backtestID: String
    /// When the run started (ISO 8601 UTC, ms).
    public var timestamp: String
    public var serverVersion: String
    public var interpreter: InterpreterInfo?
    /// The script as the user named it (relative to the scripts folder).
    public var entryPoint: String
    /// The full command line the script was started with.
    public var argv: [String]
    public var params: JSONValue
    /// The variables the run added to the inherited environment; secret-looking values are redacted when
    /// the document is built, whatever the caller passes.
    public var envAdded: [String: String]
    public var workingDirectory: String
    public var host: HostInfo
    public var git: GitInfo?
    public var code: CodeCaptureResult?
    public var inputs: [InputFile]
    /// For a rerun, the run whose captured code and params it reuses.
    public var rerunOf: String?
    /// Set at the end of the run.
    public var outcome: RunOutcome?
    /// Absolute path of the script that ran (`strategy_entry_point`; for a rerun, the entry inside its
    /// `code/`); nil: not known (written as null).
    public var strategyEntryPoint: String?
    /// True when the interpreter is a Python: its version is then `python_version`.
    public var interpreterIsPython: Bool
    /// The `inputs` param as given, for `data_bundle_info.bundle_name`.
    public var inputNames: [String]

    public init(backtestID: String, timestamp: String = ISOTime.now(), serverVersion: String,
                interpreter: InterpreterInfo?, entryPoint: String, argv: [String], params: JSONValue,
                envAdded: [String: String], workingDirectory: String, host: HostInfo = .current(), git: GitInfo?,
                code: CodeCaptureResult?, inputs: [InputFile], rerunOf: String? = nil, outcome: RunOutcome? = nil,
                strategyEntryPoint: String? = nil, interpreterIsPython: Bool = false, inputNames: [String] = []) {
        self.backtestID = backtestID
        self.timestamp = timestamp
        self.serverVersion = serverVersion
        self.interpreter = interpreter
        self.entryPoint = entryPoint
        self.argv = argv
        self.params = params
        self.envAdded = envAdded
        self.workingDirectory = workingDirectory
        self.host = host
        self.git = git
        self.code = code
        self.inputs = inputs
        self.rerunOf = rerunOf
        self.outcome = outcome
        self.strategyEntryPoint = strategyEntryPoint
        self.interpreterIsPython = interpreterIsPython
        self.inputNames = inputNames
    }

    /// `<runDir>/metadata/backtest_metadata.json`.
    public static func path(runDir: String) -> String { runDir + "/metadata/backtest_metadata.json" }

    /// The document as JSON. Environment names are sorted so that two runs' documents diff cleanly.
    ///
    /// Beside each richer member stands its key of the published metadata format: `framework_version` (=
    /// `server_version`), `python_version` (the interpreter's version, null when it is no Python),
    /// `strategy_entry_point` (the script's absolute path), `captured_files` (the paths under `code/`) and
    /// `data_bundle_info` (the inputs' names and content ids, null without inputs).
    public func json() -> JSONValue {
        var o = JSONObject()
        o["backtest_id"] = .string(backtestID)
        o["timestamp"] = .string(timestamp)
        o["server_version"] = .string(serverVersion)
        o["framework_version"] = .string(serverVersion)
        if let rerunOf { o["rerun_of"] = .string(rerunOf) }
        o["interpreter"] = interpreter?.json() ?? .null
        o["python_version"] = interpreterIsPython ? interpreter.map { .string($0.version) } ?? .null : .null
        o["packages"] = interpreter?.packagesJSON() ?? .null
        o["entry_point"] = .string(entryPoint)
        o["strategy_entry_point"] = .from(strategyEntryPoint)
        o["argv"] = .from(argv)
        o["params"] = params
        var env = JSONObject()
        let redacted = SecretRedaction.redact(envAdded)
        for name in redacted.keys.sorted() { env[name] = .string(redacted[name]!) }
        o["env_added"] = .object(env)
        o["working_directory"] = .string(workingDirectory)
        o["host"] = host.json()
        o["git"] = git?.json() ?? .null
        o["code"] = code?.json() ?? .null
        o["captured_files"] = .from((code?.files ?? []).map(\.path))
        o["inputs"] = .array(inputs.map { $0.json() })
        o["data_bundle_info"] = Self.dataBundleInfo(names: inputNames, files: inputs)
        if let outcome { for (k, v) in outcome.members { o[k] = v } }
        return .object(o)
    }

    /// `{bundle_name, dataset_ids}`: the `inputs` param's names joined with `+` (one input: its name), and
    /// one id per input file, `<path>@sha256:<hex>` (its content, named); null when the run has no inputs.
    static func dataBundleInfo(names: [String], files: [InputFile]) -> JSONValue {
        guard !names.isEmpty || !files.isEmpty else { return .null }
        let bundle = names.isEmpty ? files.map(\.path).joined(separator: "+") : names.joined(separator: "+")
        return .object(JSONObject(pairs: [
            ("bundle_name", .string(bundle)),
            ("dataset_ids", .from(files.map { $0.path + "@sha256:" + $0.sha256 })),
        ]))
    }

    /// Writes the start document (creating `metadata/`). Not synced: `writeEnd` rewrites it and syncs, and
    /// when a power cut leaves it unreadable, `writeEnd` still puts the outcome on record (below).
    /// Returns the bytes written, which `writeEnd` can extend instead of rendering the whole document again.
    @discardableResult
    public static func writeStart(_ document: MetadataDocument, runDir: String) throws -> [UInt8] {
        let path = path(runDir: runDir)
        try FileSystem.makeDirectories(PathText.parent(path))
        let bytes = JSONWriter.pretty(document.json())
        try AtomicFile.write(bytes, to: path, sync: false)
        return bytes
    }

    /// Completes the document written at start with the outcome. Reads the file back rather than needing the
    /// start document in memory, so whoever finishes the run (its supervisor, or the process that finds it
    /// interrupted) can do it. When the start document is missing or unreadable, the outcome is written
    /// alone with `backtest_id`, so the end is still on record. Without `sync`, the caller syncs it later
    /// (`syncEnd`). `start`: the start document as this process wrote it (not read back, then);
    /// `startBytes`: its bytes as `writeStart` wrote them (the end is then appended to them, the same bytes
    /// as rendering it all again, at a fraction of the cost: this is on the way to a run's final status).
    public static func writeEnd(_ outcome: RunOutcome, runDir: String, backtestID: String, start: JSONObject? = nil,
                                startBytes: [UInt8]? = nil, sync: Bool = true) throws {
        let path = path(runDir: runDir)
        let bytes = startBytes.flatMap { JSONWriter.pretty(extending: $0, with: outcome.members) }
            ?? JSONWriter.pretty(.object(completed(outcome, path: path, backtestID: backtestID, start: start)))
        try FileSystem.makeDirectories(PathText.parent(path))
        try AtomicFile.write(bytes, to: path, sync: sync)
    }

    /// The start document (`start`, else the one at `path`, else just `backtest_id`) with the outcome added.
    private static func completed(_ outcome: RunOutcome, path: String, backtestID: String, start: JSONObject?) -> JSONObject {
        var o = JSONObject()
        if let start {
            o = start
        } else if let bytes = try? FileSystem.readFile(path, limit: 64 << 20), case .object(let existing)? = try? JSONParser.parse(bytes) {
            o = existing
        } else {
            o["backtest_id"] = .string(backtestID)
        }
        for (k, v) in outcome.members { o[k] = v }
        return o
    }

    /// Makes an end written without `sync` durable.
    public static func syncEnd(runDir: String) { FileSystem.sync(path(runDir: runDir)) }

    /// Reads a run's metadata document, for compare, report and rerun; nil when absent or unreadable.
    public static func read(runDir: String) -> JSONValue? {
        guard let bytes = try? FileSystem.readFile(path(runDir: runDir), limit: 64 << 20) else { return nil }
        return try? JSONParser.parse(bytes)
    }
}
