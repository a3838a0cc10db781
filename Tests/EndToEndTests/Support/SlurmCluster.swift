import Base
import Foundation
import Glibc
import TestSupport
import XCTest

/// A real single-node Slurm cluster (slurmctld, slurmd and a munged of its own, all under a temp dir), started
/// by `Tests/tools/slurm-cluster.sh` once for the Slurm tests and stopped after them. Commands run against it
/// through `SLURM_CONF`, as Slurm's own tools find their cluster.
final class SlurmCluster: @unchecked Sendable {
    let dir: String
    let conf: String

    static var script: String { TestPaths.repoRoot + "/Tests/tools/slurm-cluster.sh" }

    /// Starts a cluster, or says why it cannot (a skip naming what is missing: exit 3 of the script).
    static func start() -> Result<SlurmCluster, Error> {
        // Short: munged's socket path must stay under 108 bytes.
        guard let base = try? ServerProcess.makeTemporaryDirectory(prefix: "bt-slurm") else {
            return .failure(ServerProcess.Failure(description: "cannot make a temp dir"))
        }
        let out = shell(["bash", script, "start", base + "/c"])
        if out.status == 3 { return .failure(Prerequisite.missing("a single-node Slurm cluster (\(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))", install: "apt-get install slurm-wlm munge")) }
        guard out.status == 0, let line = out.stdout.split(separator: "\n").first, line.hasPrefix("SLURM_CONF=") else {
            return .failure(ServerProcess.Failure(description: "the Slurm cluster did not start (exit \(out.status)):\n\(out.stderr)"))
        }
        return .success(SlurmCluster(dir: base + "/c", conf: String(line.dropFirst("SLURM_CONF=".count))))
    }

    private init(dir: String, conf: String) { self.dir = dir; self.conf = conf }

    func stop() {
        _ = Self.shell(["bash", Self.script, "stop", dir])
        try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent)
    }

    func stopSlurmd() throws { try check(Self.shell(["bash", Self.script, "stop-slurmd", dir]), "stop-slurmd") }
    func startSlurmd() throws { try check(Self.shell(["bash", Self.script, "start-slurmd", dir]), "start-slurmd") }

    /// Runs a Slurm command against this cluster; its stdout.
    @discardableResult
    func command(_ argv: [String]) throws -> String {
        let out = Self.shell(argv, env: ["SLURM_CONF": conf])
        try check(out, argv.joined(separator: " "))
        return out.stdout
    }

    /// The ids of the jobs Slurm holds (pending or running) whose name starts with `prefix`.
    func activeJobs(namePrefix prefix: String) -> [String] {
        let out = Self.shell(["squeue", "-h", "-t", "PENDING,RUNNING,SUSPENDED,COMPLETING,CONFIGURING", "-o", "%i|%j"],
                             env: ["SLURM_CONF": conf])
        return out.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|")
            return f.count == 2 && f[1].hasPrefix(prefix) ? String(f[0]) : nil
        }
    }

    private func check(_ out: (status: Int32, stdout: String, stderr: String), _ what: String) throws {
        guard out.status == 0 else { throw ServerProcess.Failure(description: "\(what) failed (exit \(out.status)): \(out.stderr)") }
    }

    /// Runs a command to its end with its output in files (not pipes: a daemon it starts must not be able
    /// to keep us waiting for an end of file), and waits for it by its pid alone.
    static func shell(_ argv: [String], env: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        let dir = (try? ServerProcess.makeTemporaryDirectory(prefix: "bt-sh")) ?? "/tmp"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outPath = dir + "/out", errPath = dir + "/err"
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(out); close(err) }
        let environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        guard let exe = TestPaths.which(argv[0]) ?? (argv[0].hasPrefix("/") ? argv[0] : nil) else { return (127, "", "\(argv[0]) not found") }
        guard case .success(let pid) = ProcessSpawner.spawn(executable: exe, argv: argv, environment: environment, cwd: nil,
                                                           stdout: out, stderr: err) else { return (127, "", "cannot start \(argv[0])") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "", (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
