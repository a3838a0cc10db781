import BacktestCore
import Base
import Glibc
import JSON

/// `backtest-bench core`: the orchestration core's figures against the targets.
///
/// - `list` over a workspace of 10,000 finished runs (target < 50 ms), plain and filtered;
/// - opening a Workspace on that workspace, what a server does at start (target < 200 ms);
/// - `run` submission latency with every slot busy, so nothing but the submission is measured
///   (target < 1 ms median);
/// - `logs tail 100` of a 1,000,000-line log (target < 5 ms) against the usual manager's way, reading the
///   whole file (Python `readlines()`, 160 ms there; measured here in the same run) and the same in Swift.
///
/// Options: `--runs N` (10000), `--lines N` (1000000), `--submits N` (500), `--repeat R` (30), `--python PATH`,
/// `--keep` (leave the temp workspaces).
enum CoreBench {
    typealias Failure = CaptureBench.Failure

    static func run(arguments: [String]) throws {
        var runs = 10_000, lines = 1_000_000, submits = 500, repeats = 30, keep = false
        var python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--runs": runs = Int(try value()) ?? runs
            case "--lines": lines = Int(try value()) ?? lines
            case "--submits": submits = Int(try value()) ?? submits
            case "--repeat": repeats = Int(try value()) ?? repeats
            case "--python": python = try value()
            case "--keep": keep = true
            default: throw Failure(description: "unknown option \(option)")
            }
        }
        let binary = CaptureBench.rpcBinary()
        let root = try CaptureBench.makeTempDir()
        let small = try CaptureBench.makeTempDir()
        defer { if !keep { CaptureBench.removeTree(root); CaptureBench.removeTree(small) } }
        print("core bench: \(root) (\(runs) runs), supervisor \(binary)")

        // A workspace of finished runs, written directly (run.json files and the index).
        var t0 = MonotonicTime.now()
        let ids = try populate(root: root, runs: runs)
        print("  populate \(runs) runs:          \(CaptureBench.ms(MonotonicTime.now() - t0))")

        // Opening it, as a server does at start. The first open also starts the interpreter probe in the
        // background (once per process); let it finish before measuring anything else.
        var opens: [Double] = []
        for _ in 0..<max(5, repeats / 3) {
            t0 = MonotonicTime.now()
            let w = try Workspace(root: root, supervisorExecutable: binary)
            opens.append(MonotonicTime.now() - t0)
            // What the open started in the background (the index reconcile, a readdir of every run) is not
            // start-up time, but must not run under the next measurement either.
            w.waitForStartupWork()
            if opens.count == 1 { usleep(400_000) }
        }
        report("workspace open (start-up)", opens, target: 0.200)

        let ws = try Workspace(root: root, supervisorExecutable: binary)
        ws.waitForStartupWork()
        report("list (50 newest of \(runs))", try time(repeats) { _ = try ws.list() }, target: 0.050)
        report("list status=failed", try time(repeats) { _ = try ws.list(status: [.failed]) }, target: 0.050)
        report("list tag=nightly", try time(repeats) { _ = try ws.list(tag: "nightly") }, target: 0.050)
        report("list offset \(max(0, runs - 50))", try time(repeats) { _ = try ws.list(offset: max(0, runs - 50)) }, target: 0.050)
        let sharpe = try RunFilter.parse("metrics.sharpe > 1"), fast = try RunFilter.parse("params.fast = 10")
        let bySharpe = try RunOrder.parse("metrics.sharpe desc")
        report("list where metrics.sharpe > 1", try time(repeats) { _ = try ws.list(where: sharpe) }, target: 0.050)
        report("list where params.fast = 10", try time(repeats) { _ = try ws.list(where: fast) }, target: 0.050)
        report("list where fast = 10, order_by sharpe desc", try time(repeats) { _ = try ws.list(where: fast, orderBy: bySharpe) },
               target: 0.050)

        // logs tail 100 of a 1,000,000-line log.
        let logRun = ws.layout.run(ids[ids.count / 2])
        t0 = MonotonicTime.now()
        try writeLog(logRun, lines: lines)
        print("  write \(lines)-line log:       \(CaptureBench.ms(MonotonicTime.now() - t0))")
        report("logs tail 100", try time(repeats) {
            let page = try ws.logs(runID: logRun.runID, tail: 100)
            guard page.lines.count == 100, page.totalLines == lines else { throw Failure(description: "wrong tail") }
        }, target: 0.005)
        report("baseline: Swift whole-file read", try time(max(3, repeats / 6)) {
            guard let bytes = AtomicFile.read(logRun.log) else { throw Failure(description: "no log") }
            let tail = bytes.split(separator: 0x0A).suffix(100)
            guard tail.count == 100 else { throw Failure(description: "wrong tail") }
        }, target: nil)
        if let py = try? pythonWholeFile(python, logRun.log, repeats: 5) { report("baseline: Python readlines()[-100:]", py, target: nil) }

        // Submission latency: every slot is held here, so the runs stay queued and only `submit` is timed.
        try AtomicFile.write(Array("{\"max_parallel\": 2}".utf8), to: small + "/backtest-rpc.json")
        try AtomicFile.write(Array("print('hi')\n".utf8), to: small + "/s.py")
        let sws = try Workspace(root: small, supervisorExecutable: binary)
        var held: [Int32] = []
        for n in 0..<2 {
            let fd = open(sws.layout.slotLock(n), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            flock(fd, LOCK_EX)
            held.append(fd)
        }
        defer { for fd in held { close(fd) } }
        _ = try sws.submit(RunRequest(script: "s.py"))  // the interpreter probe, paid once per process
        report("run (submit, queued)", try time(submits) {
            _ = try sws.submit(RunRequest(script: "s.py", params: ["capital": 1000000, "fast": true], tags: ["bench"]))
        }, target: 0.001)
    }

    /// Writes `runs` finished runs: one dir and run.json each, and one index transaction.
    static func populate(root: String, runs: Int) throws -> [String] {
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        for d in [layout.runsDir, layout.stateDir] { mkdir(d, 0o755) }
        let index = try RunIndex(path: layout.index)
        let statuses: [RunStatus] = [.completed, .completed, .completed, .failed, .cancelled]
        let scripts = ["strategy_analyzer.py", "multifile/main.py", "crash.py"]
        let base = ISOTime.nowMillis() - Int64(runs) * 60_000
        var records: [RunRecord] = []
        var ids: [String] = []
        ids.reserveCapacity(runs)
        for n in 0..<runs {
            let t = base + Int64(n) * 60_000
            let id = ISOTime.runIDStem(millis: t)
            let paths = layout.run(id)
            mkdir(paths.runDir, 0o755)
            mkdir(paths.results, 0o755)
            var r = RunRecord(runID: id, script: scripts[n % 3],
                              params: ["capital": 1000000, "strategy": "iron_condor", "fast": .int(Int64(5 * (1 + n % 20))),
                                       "slow": .int(Int64(50 * (1 + (n / 20) % 10)))],
                              status: statuses[n % 5], createdAt: t, runDir: paths.runDir, outputDir: paths.results)
            // A spread of Sharpe ratios (-1.5 ... 2.5), the same for the same n.
            if r.status == .completed { r.metrics = ["sharpe": .double(Double((n &* 7919) % 4001) / 1000 - 1.5), "trades": .int(Int64(n % 300))] }
            r.startedAt = t + 3
            r.completedAt = t + 2500
            r.exitCode = r.status == .failed ? 3 : 0
            if r.status == .failed { r.failure = .exitCode; r.errorMessage = "exited with code 3" }
            r.tags = n % 7 == 0 ? ["nightly"] : []
            r.pid = 10_000 + n
            try AtomicFile.write(JSONWriter.pretty(r.json()), to: paths.record, sync: false)
            records.append(r)
            ids.append(id)
            // In chunks: a million records at once would hold gigabytes.
            if records.count == 10_000 { index.upsert(records); records.removeAll(keepingCapacity: true) }
        }
        index.upsert(records)
        return ids
    }

    /// A 1,000,000-line log in the supervisor's format (execution.log + .log.idx), written by its writer.
    static func writeLog(_ paths: RunPaths, lines: Int) throws {
        let writer = try LogWriter(paths: paths)
        var n = 0
        let now = ISOTime.nowMillis()
        while n < lines {
            writer.batch { b in
                for _ in 0..<min(10_000, lines - n) {
                    var text = Array("log line \(n) processing tick".utf8)
                    text.withUnsafeMutableBufferPointer { b.append(UnsafeBufferPointer($0), stream: .stdout, timeMillis: now) }
                    n += 1
                }
            }
        }
        if let f = writer.failure { throw Failure(description: f) }
    }

    /// Python reading the whole log to show its last 100 lines, timed inside Python (start-up excluded).
    static func pythonWholeFile(_ python: String, _ log: String, repeats: Int) throws -> [Double] {
        let code = "import sys,time\nfor _ in range(\(repeats)):\n t=time.perf_counter()\n with open(sys.argv[1]) as f: last=f.readlines()[-100:]\n print(time.perf_counter()-t)\n"
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe") }
        let pid = try CaptureBench.spawn(python, [python, "-c", code, log], stdout: fds[1])
        close(fds[1])
        let out = CaptureBench.readAll(fds[0])
        close(fds[0])
        _ = CaptureBench.wait(pid)
        let times = out.split(separator: "\n").compactMap { Double($0) }
        guard times.count == repeats else { throw Failure(description: "python baseline failed") }
        return times
    }

    static func time(_ n: Int, _ body: () throws -> Void) rethrows -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let t = MonotonicTime.now()
            try body()
            out.append(MonotonicTime.now() - t)
        }
        return out
    }

    static func report(_ what: String, _ seconds: [Double], target: Double?) {
        let med = CaptureBench.median(seconds), p90 = CaptureBench.percentile(seconds, 0.9)
        var line = "  " + what.padding(30) + " median " + CaptureBench.ms3(med * 1000) + "  p90 " + CaptureBench.ms3(p90 * 1000)
            + "  max " + CaptureBench.ms3((seconds.max() ?? .nan) * 1000)
        if let target { line += "  target < " + CaptureBench.fmt(target * 1000, 0) + " ms " + (med < target ? "ok" : "MISSED") }
        print(line)
    }
}

private extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
