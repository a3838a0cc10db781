import BacktestCore
import Base
import Glibc
import JSON

/// `backtest-bench capture`: the supervisor's output capture and start-up, through the real
/// `backtest-rpc supervise` path (build both in release).
///
/// - throughput: `log_flood.py --lines N` supervised, from launching the supervisor until the final record,
///   against the baseline `python3 log_flood.py --lines N > file` measured in the same run;
/// - spawn latency: from launching the supervisor to the script's first instruction. The script is
///   `/bin/date +%s%N`, which prints the wall clock as it starts; the same measured without the supervisor
///   (bench → date directly) is the floor.
///
/// The supervisor runs with the hooks the binary is built with (index, provenance, validation), as in
/// production; the workspace's config declares a profile that requires no output files.
///
/// Options: `--lines N` (1000000), `--repeat R` (5), `--spawn-samples K` (30), `--python PATH`,
/// `--scripts DIR` (the fixtures' scripts), `--keep` (leave the temp workspace).
enum CaptureBench {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func run(arguments: [String]) throws {
        var lines = 1_000_000, repeats = 5, spawnSamples = 30, keep = false
        var python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        var scripts = defaultScripts()
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--lines": lines = Int(try value()) ?? lines
            case "--repeat": repeats = Int(try value()) ?? repeats
            case "--spawn-samples": spawnSamples = Int(try value()) ?? spawnSamples
            case "--python": python = try value()
            case "--scripts": scripts = try value()
            case "--keep": keep = true
            default: throw Failure(description: "unknown option \(option)")
            }
        }
        let binary = rpcBinary()
        guard access(binary, X_OK) == 0 else { throw Failure(description: "no executable \(binary) (swift build -c release)") }
        let flood = scripts + "/log_flood.py"
        guard access(flood, R_OK) == 0 else { throw Failure(description: "no \(flood) (--scripts DIR)") }
        let root = try makeTempDir()
        defer { if !keep { removeTree(root) } }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        mkdir(layout.runsDir, 0o755)
        // log_flood writes no outputs; a profile that requires none lets its runs complete (validation
        // still runs, as in production).
        let config = #"{"profiles": {"any": {"check_log": false, "files": {"anything.csv": {"required": false}}}}, "validation": {"default_profile": "any"}}"#
        do { try AtomicFile.write(Array(config.utf8), to: root + "/backtest-rpc.json") } catch {
            throw Failure(description: "\(error)")
        }

        print("capture bench: \(binary)")
        print("python: \(python); lines: \(lines); repeats: \(repeats)")

        // Throughput.
        var baseline: [Double] = [], supervised: [Double] = [], supervisorExit: [Double] = []
        var statuses: Set<String> = []
        for r in 0..<repeats {
            let out = root + "/baseline-\(r).log"
            let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            let t0 = MonotonicTime.now()
            let pid = try spawn(python, [python, flood, "--lines", String(lines)], stdout: fd)
            _ = wait(pid)
            baseline.append(MonotonicTime.now() - t0)
            close(fd)
            unlink(out)

            let paths = try makeRun(layout, [python, "-u", flood, "--lines", String(lines), "--output_dir", "x"], tag: r)
            let t1 = MonotonicTime.now()
            let sup = try spawn(binary, [binary, "supervise"] + SupervisorCommand.arguments(runDir: paths.runDir, layout: layout),
                                stdout: -1, newSession: true)
            let rec = waitFinal(layout, paths)
            supervised.append(MonotonicTime.now() - t1)
            _ = wait(sup)
            supervisorExit.append(MonotonicTime.now() - t1)
            let count = LogReader(paths: paths).count()
            guard let rec, rec.exitCode == 0, count == lines else {
                throw Failure(description: "supervised run ended \(rec?.status.rawValue ?? "nowhere") with \(count) lines: \(rec?.errorMessage ?? "")")
            }
            if rec.status != .completed { statuses.insert("\(rec.status.rawValue): \(rec.errorMessage ?? "")") }
        }
        let b = median(baseline), s = median(supervised)
        print("")
        print("log_flood.py --lines \(lines)            median     min")
        print("  baseline (> file)                 \(ms(b))  \(ms(baseline.min()!))")
        print("  supervised, until final record    \(ms(s))  \(ms(supervised.min()!))")
        print("  supervised, until supervisor exit \(ms(median(supervisorExit)))  \(ms(supervisorExit.min()!))")
        print("  ratio (supervised / baseline)     \(fmt(s / b, 2))x   (target < 2x)")
        for st in statuses { print("  note: a supervised run ended \(st)") }

        // Spawn latency.
        var direct: [Double] = [], viaSupervisor: [Double] = [], toStartedAt: [Double] = []
        for k in 0..<spawnSamples {
            var p: [Int32] = [-1, -1]
            pipe(&p)
            let t0 = wallNanos()
            let pid = try spawn("/bin/date", ["date", "+%s%N"], stdout: p[1])
            close(p[1])
            let text = readAll(p[0])
            close(p[0])
            _ = wait(pid)
            if let t = Int64(text.trimmingSpaces()) { direct.append(Double(t - t0) / 1e6) }

            let paths = try makeRun(layout, ["/bin/date", "+%s%N"], tag: 1000 + k)
            let t1 = wallNanos()
            let sup = try spawn(binary, [binary, "supervise"] + SupervisorCommand.arguments(runDir: paths.runDir, layout: layout),
                                stdout: -1, newSession: true)
            let rec = waitFinal(layout, paths)
            _ = wait(sup)
            if let line = LogReader(paths: paths).lines(from: 0, limit: 1).first, let t = Int64(line.text) {
                viaSupervisor.append(Double(t - t1) / 1e6)
            }
            if let started = rec?.startedAt { toStartedAt.append(Double(started - t1 / 1_000_000)) }
        }
        print("")
        print("spawn latency (ms, \(spawnSamples) samples)          median     p90")
        print("  bench -> date (floor)             \(ms3(median(direct)))  \(ms3(percentile(direct, 0.9)))")
        print("  launch supervisor -> date runs    \(ms3(median(viaSupervisor)))  \(ms3(percentile(viaSupervisor, 0.9)))")
        print("  launch supervisor -> started_at   \(ms3(median(toStartedAt)))  \(ms3(percentile(toStartedAt, 0.9)))  (ms resolution)")
    }

    // MARK: - Runs

    static func makeRun(_ layout: WorkspaceLayout, _ argv: [String], tag: Int) throws -> RunPaths {
        let now = ISOTime.nowMillis()
        let id = ISOTime.runIDStem(millis: now) + "_\(tag)"
        let paths = layout.run(id)
        mkdir(paths.runDir, 0o755)
        mkdir(paths.results, 0o755)
        let record = RunRecord(runID: id, script: argv.count > 2 ? argv[2] : argv[0], createdAt: now,
                               runDir: paths.runDir, outputDir: paths.results)
        let env = ["PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "BACKTEST_RUN_ID": id,
                   "BACKTEST_OUTPUT_DIR": paths.results, "BACKTEST_RUN_DIR": paths.runDir]
        let spec = RunSpec(executable: argv[0], argv: argv, envAdded: env, baseEnv: [:], cwd: paths.results,
                           timeoutSeconds: nil, killGraceSeconds: 5, profile: nil, scriptPath: argv[0],
                           workspaceRoot: layout.root, inputs: [])
        let store = RunStore(layout: layout, index: nil)
        do {
            try store.save(record)
            try store.saveSpec(spec, paths: paths)
        } catch { throw Failure(description: "\(error)") }
        return paths
    }

    /// Polls `run.json` (1 ms) until its status is terminal; nil after 120 s.
    static func waitFinal(_ layout: WorkspaceLayout, _ paths: RunPaths) -> RunRecord? {
        let store = RunStore(layout: layout, index: nil)
        let until = MonotonicTime.now() + 120
        while MonotonicTime.now() < until {
            if let r = try? store.load(paths: paths), r.status.isTerminal { return r }
            usleep(1000)
        }
        return nil
    }

    // MARK: - Processes

    static func spawn(_ exe: String, _ argv: [String], stdout: Int32, newSession: Bool = false) throws -> pid_t {
        var env: [String: String] = ["PATH": "/usr/bin:/bin"]
        if let h = getenv("HOME") { env["HOME"] = String(cString: h) }
        switch ProcessSpawner.spawn(executable: exe, argv: argv, environment: env, cwd: nil, stdout: stdout,
                                    newSession: newSession) {
        case .success(let pid): return pid
        case .failure(let e): throw Failure(description: "cannot start \(exe): \(e)")
        }
    }

    static func wait(_ pid: pid_t) -> Int32 {
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        return st
    }

    static func readAll(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func rpcBinary() -> String {
        if let p = getenv("BACKTEST_RPC_BIN") { return String(cString: p) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return parent(exe) + "/backtest-rpc"
    }

    /// The repo's own stand-in strategies, Tests/Fixtures/scripts, in the repo this file is in.
    static func defaultScripts() -> String {
        repoFixtures() + "/scripts"
    }

    /// Tests/Fixtures of the repo this file is in (the bench carries no material of its own).
    static func repoFixtures() -> String {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/Tests/Fixtures"
    }

    static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return "." }
        return String(p[..<i])
    }

    /// A fresh directory `/tmp/<prefix>-XXXXXX`.
    /// Under `$TMPDIR` when set (a file system whose inode tables are not fragmented by millions of past
    /// deletions: file creation there cost 0.9 ms per file on this machine's /tmp, 0.02 ms next to it).
    static func makeTempDir(_ prefix: String = "bt-capture-bench") throws -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        return String(cString: p)
    }

    static func removeTree(_ root: String) {
        if let pid = try? spawn("/bin/rm", ["rm", "-rf", root], stdout: -1) { _ = wait(pid) }
    }

    // MARK: - Clocks and figures

    static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func median(_ v: [Double]) -> Double { percentile(v, 0.5) }

    static func percentile(_ v: [Double], _ p: Double) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }

    static func fmt(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "n/a" }
        var m = 1.0
        for _ in 0..<digits { m *= 10 }
        let r = (v * m).rounded() / m
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }

    static func ms(_ seconds: Double) -> String { pad(fmt(seconds * 1000, 1) + " ms", 10) }
    static func ms3(_ millis: Double) -> String { pad(fmt(millis, 3) + " ms", 10) }
    static func pad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
}

private extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" { s.removeLast() }
        return String(s)
    }
}
