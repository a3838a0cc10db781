import Base
import Glibc
import Provenance

/// Slurm's own commands, run the way a user runs them: found on PATH, talking to the cluster that
/// `SLURM_CONF` and the rest of this process's environment name. Every answer separates "Slurm said no"
/// from "Slurm could not be asked" (controller down, command missing): only the first may end a run.
public struct SlurmCLI: Sendable {
    public init() {}

    /// How long one command may take before it counts as "could not be asked".
    static let timeout = 30.0

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The command is not installed here.
        case missing(String)
        /// It ran and failed; its output.
        case failed(String, String)
        public var description: String {
            switch self {
            case .missing(let c): "\(c) is not on PATH: install Slurm's client commands (Debian: slurm-client) or fix PATH"
            case .failed(let c, let out): "\(c) failed: \(out)"
            }
        }
    }

    /// `sbatch --parsable ... script`: the job id.
    public func submit(_ arguments: [String], script: String, directory: String) -> Result<String, Failure> {
        switch run("sbatch", ["--parsable"] + arguments + [script], directory: directory) {
        case .failure(let f): return .failure(f)
        case .success(let out):
            // `<id>` or `<id>;<cluster>`.
            let id = out.split(separator: ";").first.map { String($0).trimmingNewlines().trimmingSpaces() } ?? ""
            guard SlurmJobMark.isJobID(id) else { return .failure(.failed("sbatch", "unexpected answer: \(out)")) }
            return .success(id)
        }
    }

    /// The jobs Slurm still knows among `jobIDs`, by id (one `squeue` for all of them). Jobs it no longer
    /// lists are absent; nil: it could not be asked.
    public func jobs(_ jobIDs: [String]) -> [String: SlurmJobView]? {
        guard !jobIDs.isEmpty else { return [:] }
        // `-t all`: ended jobs too, while the controller remembers them.
        switch run("squeue", ["-h", "-t", "all", "-j", jobIDs.joined(separator: ","), "-o", "%i|%T|%r|%N"], directory: "/") {
        case .success(let out): return Self.parseSqueue(out)
        case .failure(.failed(_, let out)) where out.contains("Invalid job id"):
            // squeue refuses the whole list when none of its ids is known any more.
            return [:]
        case .failure: return nil
        }
    }

    /// The ids of the jobs named `name` that Slurm still knows (any state); nil: it could not be asked.
    public func jobIDs(named name: String) -> [String]? {
        switch run("squeue", ["-h", "-t", "all", "-n", name, "-o", "%i"], directory: "/") {
        case .success(let out): return out.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        case .failure: return nil
        }
    }

    /// `scontrol -o show job ID`: nil when Slurm no longer knows the job, `.failure` when it cannot be asked.
    public func show(_ jobID: String) -> Result<SlurmJobView?, Failure> {
        switch run("scontrol", ["-o", "show", "job", jobID], directory: "/") {
        case .success(let out): return .success(Self.parseScontrol(out, jobID: jobID))
        case .failure(.failed(_, let out)) where out.contains("Invalid job id"): return .success(nil)
        case .failure(let f): return .failure(f)
        }
    }

    /// `scancel ID`: SIGTERM to the job's processes, SIGKILL after Slurm's KillWait. `supervisorOnly`:
    /// SIGTERM to the batch step's process alone (our supervisor), which stops the script as a local cancel
    /// does, with its grace period, and ends the job by exiting.
    @discardableResult
    public func cancel(_ jobID: String, supervisorOnly: Bool = false) -> Result<Void, Failure> {
        run("scancel", (supervisorOnly ? ["--batch", "--signal=TERM"] : []) + [jobID], directory: "/").map { _ in () }
    }

    private func run(_ command: String, _ arguments: [String], directory: String) -> Result<String, Failure> {
        guard CommandRunner.which(command) != nil else { return .failure(.missing(command)) }
        guard let out = CommandRunner.run(command, arguments, directory: directory, mergeStderr: true, timeout: Self.timeout) else {
            return .failure(.missing(command))
        }
        let text = out.text.trimmingNewlines().trimmingSpaces()
        if out.timedOut { return .failure(.failed(command, "no answer within \(Int(Self.timeout)) s")) }
        return out.status == 0 ? .success(text) : .failure(.failed(command, text))
    }

    static func parseSqueue(_ text: String) -> [String: SlurmJobView] {
        var jobs: [String: SlurmJobView] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, !f[0].isEmpty else { continue }
            jobs[f[0]] = SlurmJobView(jobID: f[0], state: f[1], reason: f[2].isEmpty ? nil : f[2],
                                      node: f[3].isEmpty || f[3] == "(null)" ? nil : f[3])
        }
        return jobs
    }

    /// `JobId=12 JobName=x ... JobState=TIMEOUT Reason=TimeLimit ... NodeList=n1 ...` (one line).
    static func parseScontrol(_ text: String, jobID: String) -> SlurmJobView? {
        var fields: [String: String] = [:]
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let eq = token.firstIndex(of: "=") else { continue }
            let key = String(token[..<eq])
            if fields[key] == nil { fields[key] = String(token[token.index(after: eq)...]) }
        }
        guard let state = fields["JobState"] else { return nil }
        let node = fields["NodeList"].flatMap { $0.isEmpty || $0 == "(null)" ? nil : $0 }
        return SlurmJobView(jobID: fields["JobId"] ?? jobID, state: state, reason: fields["Reason"], node: node)
    }
}
