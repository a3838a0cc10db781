import Base
import Glibc

/// The two files that say a run is Slurm's: `<run_dir>/.slurm-job` (for whoever looks at the run) and
/// `<runs>/.backtest-rpc/slurm-jobs/<run_id>` (counted against `max_jobs`), both holding the job id, or
/// `submitting` while sbatch is asked.
enum SlurmJobMark {
    static let submitting = "submitting"

    /// Writes `value` into both; false when either could not be written.
    @discardableResult
    static func write(_ value: String, runID: String, layout: WorkspaceLayout) -> Bool {
        let bytes = Array(value.utf8)
        return (try? AtomicFile.write(bytes, to: layout.run(runID).slurmJob, sync: false)) != nil
            && (try? AtomicFile.write(bytes, to: layout.slurmJob(runID), sync: false)) != nil
    }

    /// What `.slurm-job` says (a job id, or `submitting`); nil for a run that is not Slurm's.
    static func read(_ paths: RunPaths) -> String? {
        AtomicFile.read(paths.slurmJob).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether a mark is a job id (and not `submitting`, nor a torn read).
    static func isJobID(_ mark: String) -> Bool { !mark.isEmpty && mark.allSatisfy(\.isNumber) }

    /// Removes both: the run never became a job.
    static func remove(runID: String, layout: WorkspaceLayout) {
        unlink(layout.slurmJob(runID)); unlink(layout.run(runID).slurmJob)
    }
}
