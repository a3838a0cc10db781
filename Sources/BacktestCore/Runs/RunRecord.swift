import Base
import JSON

/// The record of one run: what `status` answers, what `list` lists and what `run.json` holds.
/// Times are epoch milliseconds here and ISO 8601 UTC text in JSON.
public struct RunRecord: Sendable, Equatable {
    public var runID: String
    public var script: String
    public var params: JSONObject
    public var args: [String]
    /// Setting a different status appends it to `history`, so that no transition is lost however fast a
    /// run passes through it (a follower that looks every 20 ms still announces `validating`).
    public var status: RunStatus {
        didSet { if status != oldValue { history.append(StatusChange(status: status, atMillis: ISOTime.nowMillis())) } }
    }
    /// Every status the run has had, in order, with when it was entered.
    public var history: [StatusChange]
    public var failure: FailureReason?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var completedAt: Int64?
    public var runDir: String
    public var outputDir: String
    public var exitCode: Int?
    /// The signal that ended the script, when one did.
    public var signal: Int?
    public var errorMessage: String?
    /// The script's pid; its process group id is the same (it leads its own group).
    public var pid: Int?
    public var supervisorPID: Int?
    public var serverPID: Int?
    public var tags: [String]
    public var note: String?
    public var timeoutSeconds: Double?
    public var profile: String?
    public var validation: JSONValue?
    /// Things that went wrong without failing the run (metadata could not be written, ...).
    public var warnings: [String]
    /// Output lines of the script that could not be written to execution.log (a full disk): the log has
    /// gaps, so it is never complete. 0 when every line was kept.
    public var logLinesLost: Int
    /// Members added by later features (rerun_of, reproduction, ...), kept and written back as they are.
    public var extra: JSONObject

    public init(runID: String, script: String, params: JSONObject = [:], args: [String] = [],
                status: RunStatus = .queued, createdAt: Int64, runDir: String, outputDir: String) {
        self.runID = runID; self.script = script; self.params = params; self.args = args
        self.status = status; self.createdAt = createdAt; self.runDir = runDir; self.outputDir = outputDir
        history = [StatusChange(status: status, atMillis: createdAt)]
        failure = nil; startedAt = nil; completedAt = nil; exitCode = nil; signal = nil; errorMessage = nil
        pid = nil; supervisorPID = nil; serverPID = nil; tags = []; note = nil; timeoutSeconds = nil
        profile = nil; validation = nil; warnings = []; logLinesLost = 0; extra = [:]
    }

    /// Ends a run whose script never started (the claim, the submission or the spec failed): failed with
    /// `spawn_error`, now, saying why.
    public mutating func failBeforeStart(_ message: String) {
        status = .failed
        failure = .spawnError
        completedAt = ISOTime.nowMillis()
        errorMessage = message
    }

    public var durationSeconds: Double? {
        guard let s = startedAt else { return nil }
        let end = completedAt ?? ISOTime.nowMillis()
        return Double(end - s) / 1000
    }

    public func json() -> JSONValue {
        var o = JSONObject()
        o.appendUnchecked("run_id", .string(runID))
        o.appendUnchecked("script", .string(script))
        o.appendUnchecked("params", .object(params))
        o.appendUnchecked("args", .from(args))
        o.appendUnchecked("status", .string(status.rawValue))
        o.appendUnchecked("failure", .from(failure?.rawValue))
        o.appendUnchecked("created_at", .string(ISOTime.format(millis: createdAt)))
        o.appendUnchecked("started_at", .from(startedAt.map { ISOTime.format(millis: $0) }))
        o.appendUnchecked("completed_at", .from(completedAt.map { ISOTime.format(millis: $0) }))
        o.appendUnchecked("duration_seconds", durationSeconds.map { .double(($0 * 1000).rounded() / 1000) } ?? .null)
        o.appendUnchecked("run_dir", .string(runDir))
        o.appendUnchecked("output_dir", .string(outputDir))
        o.appendUnchecked("exit_code", .from(exitCode))
        o.appendUnchecked("signal", .from(signal))
        o.appendUnchecked("error_message", .from(errorMessage))
        o.appendUnchecked("pid", .from(pid))
        o.appendUnchecked("supervisor_pid", .from(supervisorPID))
        o.appendUnchecked("server_pid", .from(serverPID))
        o.appendUnchecked("tags", .from(tags))
        o.appendUnchecked("note", .from(note))
        o.appendUnchecked("timeout_s", .from(timeoutSeconds))
        o.appendUnchecked("profile", .from(profile))
        o.appendUnchecked("validation", validation ?? .null)
        o.appendUnchecked("warnings", .from(warnings))
        o.appendUnchecked("log_lines_lost", .int(Int64(logLinesLost)))
        o.appendUnchecked("history", .array(history.map { $0.json() }))
        for (k, v) in extra where o[k] == nil { o.appendUnchecked(k, v) }
        return .object(o)
    }

    static let knownKeys: Set<String> = [
        "run_id", "script", "params", "args", "status", "failure", "created_at", "started_at", "completed_at",
        "duration_seconds", "run_dir", "output_dir", "exit_code", "signal", "error_message", "pid",
        "supervisor_pid", "server_pid", "tags", "note", "timeout_s", "profile", "validation", "warnings", "log_lines_lost", "history",
    ]

    /// Reads a record back from `run.json`; nil when the text is not a record (then the run is unreadable).
    public init?(json v: JSONValue) {
        guard let o = v.objectValue, let id = o["run_id"]?.stringValue, let script = o["script"]?.stringValue,
              let st = o["status"]?.stringValue.flatMap(RunStatus.init(rawValue:)),
              let created = o["created_at"]?.stringValue.flatMap(ISOTime.parse),
              let runDir = o["run_dir"]?.stringValue, let outputDir = o["output_dir"]?.stringValue
        else { return nil }
        self.init(runID: id, script: script, params: o["params"]?.objectValue ?? [:],
                  args: o["args"]?.arrayValue?.compactMap(\.stringValue) ?? [], status: st, createdAt: created,
                  runDir: runDir, outputDir: outputDir)
        failure = o["failure"]?.stringValue.flatMap(FailureReason.init(rawValue:))
        startedAt = o["started_at"]?.stringValue.flatMap(ISOTime.parse)
        completedAt = o["completed_at"]?.stringValue.flatMap(ISOTime.parse)
        exitCode = o["exit_code"]?.intValue
        signal = o["signal"]?.intValue
        errorMessage = o["error_message"]?.stringValue
        pid = o["pid"]?.intValue
        supervisorPID = o["supervisor_pid"]?.intValue
        serverPID = o["server_pid"]?.intValue
        tags = o["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        note = o["note"]?.stringValue
        timeoutSeconds = o["timeout_s"]?.doubleValue
        profile = o["profile"]?.stringValue
        if let v = o["validation"], !v.isNull { validation = v }
        warnings = o["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? []
        logLinesLost = max(0, o["log_lines_lost"]?.intValue ?? 0)
        if let h = o["history"]?.arrayValue?.compactMap(StatusChange.init(json:)), !h.isEmpty { history = h }
        for (k, v) in o where !Self.knownKeys.contains(k) { extra.appendUnchecked(k, v) }
    }
}
