import Base
import Glibc
import JSON
import Provenance

/// Issue 14's figures: the same requests through a local workspace and one whose executor is a real
/// single-node Slurm cluster (`$SLURM_CONF`, else one started here with Tests/tools/slurm-cluster.sh), in
/// the same run: one trivial run (`run` → `running`, `run` → final status at the client, median of
/// `--repeat`), and a sweep of `--runs` trivial runs to the last final status. Both bounded to 4 at once.
enum SlurmBench {
    typealias Failure = CaptureBench.Failure

    static func run(arguments: [String]) throws {
        var runs = 100, repeats = 5
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--runs": runs = Int(try value()) ?? runs
            case "--repeat": repeats = Int(try value()) ?? repeats
            default: throw Failure(description: "unknown option \(option)")
            }
        }
        let binary = CaptureBench.rpcBinary()
        var started: String?
        var conf = getenv("SLURM_CONF").map { String(cString: $0) } ?? ""
        if conf.isEmpty {
            let dir = try CaptureBench.makeTempDir("bt-slurm-bench")
            started = dir
            conf = try startCluster(dir + "/c")
        }
        defer {
            if let started {
                if let pid = try? CaptureBench.spawn("/bin/bash", ["bash", clusterScript, "stop", started + "/c"], stdout: -1) {
                    _ = CaptureBench.wait(pid)
                }
                CaptureBench.removeTree(started)
            }
        }
        print("slurm bench: \(binary), SLURM_CONF=\(conf)")
        try plainSlurm(conf: conf, repeats: repeats)
        print("\(repeats) single runs and a sweep of \(runs) runs (sh: exit 0, profile none), 4 at once   median     min")
        for (label, executor) in [("local", ""), ("slurm", #", "executor": {"kind": "slurm", "max_jobs": 4, "poll_s": 0.2, "heartbeat_s": 1}"#)] {
            let root = try ManyRunsBench.workspace(config: #"{"max_parallel": 4"# + executor + "}")
            defer { CaptureBench.removeTree(root) }
            try ManyRunsBench.write("#!/bin/sh\nexit 0\n", to: root + "/noop", mode: 0o755)
            let server = try ManyRunsBench.Server(binary: binary, root: root, extraEnv: ["SLURM_CONF": conf])
            defer { server.stop() }
            var toRunning: [Double] = [], toFinal: [Double] = []
            for k in 0..<repeats {
                let t0 = MonotonicTime.now()
                server.send(#"{"jsonrpc":"2.0","id":\#(k + 1),"method":"run","params":{"script":"noop","profile":"none"}}"# + "\n")
                _ = try server.reader.next { $0["method"].stringValue == "run/status" && $0["params"]["status"] == "running" }
                toRunning.append(MonotonicTime.now() - t0)
                _ = try server.reader.next(ManyRunsBench.isFinal)
                toFinal.append(MonotonicTime.now() - t0)
            }
            let grid = (0..<runs).map(String.init).joined(separator: ",")
            let t1 = MonotonicTime.now()
            server.send(#"{"jsonrpc":"2.0","id":1000,"method":"sweep","params":{"script":"noop","profile":"none","cache":"off","grid":{"k":[\#(grid)]}}}"# + "\n")
            try server.waitForFinalStatuses(runs)
            let sweep = MonotonicTime.now() - t1
            print("  \(label): run -> running                  \(CaptureBench.ms(CaptureBench.median(toRunning)))  \(CaptureBench.ms(toRunning.min()!))")
            print("  \(label): run -> final status             \(CaptureBench.ms(CaptureBench.median(toFinal)))  \(CaptureBench.ms(toFinal.min()!))")
            print("  \(label): sweep of \(runs) -> last final       \(CaptureBench.ms(sweep))  (\(CaptureBench.fmt(Double(runs) / sweep, 1)) runs/s)")
        }
    }

    /// The baseline: Slurm alone. `sbatch --wrap 'exit 0'` (the command's own time: what each submission
    /// costs), and from it until `scontrol` says COMPLETED (polled every 10 ms).
    static func plainSlurm(conf: String, repeats: Int) throws {
        let env = ["SLURM_CONF": conf]
        var submit: [Double] = [], done: [Double] = []
        let dir = try CaptureBench.makeTempDir("bt-slurm-plain")
        defer { CaptureBench.removeTree(dir) }
        for _ in 0..<repeats {
            let t0 = MonotonicTime.now()
            guard let out = output(["sbatch", "--parsable", "--output=/dev/null", "--chdir=" + dir, "--wrap", "exit 0"], env: env),
                  let id = out.split(whereSeparator: { $0 == ";" || $0 == "\n" }).first.map(String.init)
            else { throw Failure(description: "sbatch failed") }
            submit.append(MonotonicTime.now() - t0)
            while !(output(["scontrol", "-o", "show", "job", id], env: env) ?? "").contains("JobState=COMPLETED") {
                MonotonicTime.sleep(0.01)
            }
            done.append(MonotonicTime.now() - t0)
        }
        print("plain Slurm (\(repeats) jobs, one at a time)                                      median     min")
        print("  sbatch --wrap 'exit 0': the command        \(CaptureBench.ms(CaptureBench.median(submit)))  \(CaptureBench.ms(submit.min()!))")
        print("  sbatch -> scontrol says COMPLETED          \(CaptureBench.ms(CaptureBench.median(done)))  \(CaptureBench.ms(done.min()!))")
    }

    /// A Slurm command's stdout, nil when it failed.
    static func output(_ argv: [String], env: [String: String]) -> String? {
        guard let out = CommandRunner.run(argv[0], Array(argv.dropFirst()), environment: env), out.status == 0 else { return nil }
        return out.text
    }

    static var clusterScript: String { CaptureBench.repoFixtures() + "/../tools/slurm-cluster.sh" }

    /// Starts a cluster in `dir`; its SLURM_CONF.
    static func startCluster(_ dir: String) throws -> String {
        let out = dir + ".out"
        let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(fd) }
        let status = CaptureBench.wait(try CaptureBench.spawn("/bin/bash", ["bash", clusterScript, "start", dir], stdout: fd))
        let text = AtomicFile.read(out).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard status == 0, text.hasPrefix("SLURM_CONF=") else {
            throw Failure(description: "the Slurm cluster did not start (\(clusterScript) start \(dir)); needs slurm-wlm and munge, as root")
        }
        return String(text.dropFirst("SLURM_CONF=".count).prefix { $0 != "\n" })
    }
}
