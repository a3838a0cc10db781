import JSON
import Provenance
import Validation

/// What the hooks worked out from a run's outputs ahead of its end (`SupervisorHooks.prepareEnd`), for the
/// hooks at the end to take instead of reading the files again. The supervisor hands it on only when no
/// result file changed since it was begun (`EarlyEnd`); each part is nil when it was not prepared.
public struct PreparedEnd: Sendable {
    /// The result files' part of the validation (the log's is done at the end).
    public var validation: PreparedValidation?
    /// What `analyse` adds to the record (the metrics, the script's summary).
    public var analysis: JSONObject?
    /// The hash of every result file, for the metadata's end.
    public var resultHashes: [CapturedFile]?

    public init(validation: PreparedValidation? = nil, analysis: JSONObject? = nil, resultHashes: [CapturedFile]? = nil) {
        self.validation = validation; self.analysis = analysis; self.resultHashes = resultHashes
    }
}
