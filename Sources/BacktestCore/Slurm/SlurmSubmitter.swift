import Base
import Glibc

/// Hands a claimed run to Slurm: a batch script whose foreground process is `backtest-rpc supervise` (so
/// capture, `execution.log`, validation, provenance and the record are the same code as for a local run),
/// submitted with `sbatch`. The job's own output (`slurm-<job id>.out`) goes into the run dir.
///
/// Jobs are submitted with `--no-requeue`: a requeued job would start the supervisor again over a run
/// that already began, and the supervisor refuses to run a script twice (a run that is no longer queued
/// is never started again), so a requeue could only end as a failed job.
struct SlurmSubmitter {
    let layout: WorkspaceLayout
    let settings: SlurmSettings
    let supervisorExecutable: String
    let cli = SlurmCLI()

    /// Submits the run. The run must be claimed (its queue entry gone) and marked as Slurm's (`.slurm-job`).
    func submit(paths: RunPaths, spec: RunSpec) -> Result<String, SlurmCLI.Failure> {
        do {
            try AtomicFile.write(Array(batchScript(paths: paths).utf8), to: paths.slurmScript, mode: 0o755, sync: false)
        } catch {
            return .failure(.failed("sbatch", "cannot write the batch script \(paths.slurmScript): \(error)"))
        }
        return cli.submit(arguments(paths: paths, spec: spec), script: paths.slurmScript, directory: paths.runDir)
    }

    /// Ours first, then the workspace's `sbatch_args`, then the run's: sbatch takes the last of a repeated
    /// option, so a user's `--time` or `--job-name` wins.
    func arguments(paths: RunPaths, spec: RunSpec) -> [String] {
        var a = ["--job-name=bt-" + paths.runID, "--output=" + paths.runDir + "/slurm-%j.out", "--chdir=" + paths.runDir,
                 "--no-requeue", "--export=ALL"]
        if let p = settings.partition { a.append("--partition=" + p) }
        // The supervisor's own timeout stops the script first; Slurm's limit (whole minutes, one more than
        // the timeout and its grace need) is what stops a job whose supervisor cannot.
        if let t = spec.timeoutSeconds { a.append("--time=\(Int(((t + spec.killGraceSeconds) / 60).rounded(.up)) + 1)") }
        return a + settings.sbatchArgs + spec.sbatchArgs
    }

    /// `setup` lines, then the supervisor in the job's foreground (`exec`: Slurm's signals reach it directly).
    func batchScript(paths: RunPaths) -> String {
        var lines = ["#!/bin/bash", "# Written by backtest-rpc for run \(paths.runID): the run's supervisor as a Slurm job."]
        lines += settings.setup
        lines.append("export BACKTEST_HEARTBEAT_S=\(settings.heartbeatSeconds)")
        let command = [settings.supervisorPath ?? supervisorExecutable, "supervise"]
            + SupervisorCommand.arguments(runDir: paths.runDir, layout: layout)
        lines.append("exec " + command.map(Self.quote).joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    static func quote(_ s: String) -> String {
        "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
