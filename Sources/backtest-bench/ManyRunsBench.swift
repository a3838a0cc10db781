import Base
import Foundation
import Glibc
import JSON

/// `backtest-bench manyruns`: what working with many runs costs, through the server binary, as a client sees
/// it, each next to its plain baseline in the same run:
///
/// - 200 trivial runs (`#!/bin/sh` + `exit 0`, max_parallel 2, profile none, no git), all requested at once,
///   until the last final `run/status` (target ≥ 250 runs/s) vs `xargs -P2` running the script 200 times;
/// - one short Python backtest (strategy_analyzer, 20 trades), `run` → final `run/status` with every default
///   on (capture, metadata, validation, metrics) vs the same command started directly (target: direct + 3 ms),
///   with the record's history split into its phases;
/// - a sweep of 10,000 param sets: request → answer (target < 1 s).
///
/// Options: `--runs N` (200), `--repeat R` (15), `--sets N` (10000), `--only trivial|short|sweep`, `--steps`
/// (the short run's steps as its processes reached them, `StepTrace`: a few µs per step, so the added time
/// printed with it is a little higher than without).
enum ManyRunsBench {
    typealias Failure = CaptureBench.Failure

    static func run(arguments: [String]) throws {
        var runs = 200, repeats = 15, sets = 10_000, only: String?, steps = false
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--runs": runs = Int(try value()) ?? runs
            case "--repeat": repeats = Int(try value()) ?? repeats
            case "--sets": sets = Int(try value()) ?? sets
            case "--only": only = try value()
            case "--steps": steps = true
            default: throw Failure(description: "unknown option \(option)")
            }
        }
        let binary = CaptureBench.rpcBinary()
        print("many-runs bench: \(binary)")
        if only == nil || only == "trivial" { try trivialRuns(binary: binary, count: runs) }
        if only == nil || only == "short" { try shortBacktest(binary: binary, repeats: repeats, steps: steps) }
        if only == nil || only == "sweep" { try bigSweep(binary: binary, sets: sets) }
    }

    // MARK: - Trivial runs

    static func trivialRuns(binary: String, count: Int) throws {
        let root = try workspace(config: #"{"max_parallel": 2}"#)
        defer { CaptureBench.removeTree(root) }
        try write("#!/bin/sh\nexit 0\n", to: root + "/noop", mode: 0o755)

        let t0 = MonotonicTime.now()
        _ = CaptureBench.wait(try CaptureBench.spawn("/bin/sh", ["sh", "-c", "seq \(count) | xargs -P2 -n1 \(root)/noop"], stdout: -1))
        let baseline = MonotonicTime.now() - t0

        let server = try Server(binary: binary, root: root)
        defer { server.stop() }
        var requests = ""
        for k in 1...count {
            requests += #"{"jsonrpc":"2.0","id":\#(k),"method":"run","params":{"script":"noop","profile":"none"}}"# + "\n"
        }
        let t1 = MonotonicTime.now()
        server.send(requests)
        try server.waitForFinalStatuses(count)
        let elapsed = MonotonicTime.now() - t1
        print("\(count) trivial runs (sh: exit 0), max_parallel 2, profile none")
        print("  baseline: xargs -P2                      \(CaptureBench.ms(baseline))  \(CaptureBench.fmt(Double(count) / baseline, 0)) runs/s")
        print("  run x\(count) -> last final run/status      \(CaptureBench.ms(elapsed))  \(CaptureBench.fmt(Double(count) / elapsed, 0)) runs/s   (target >= 250 runs/s)")
    }

    // MARK: - One short backtest

    static func shortBacktest(binary: String, repeats: Int, steps: Bool) throws {
        let root = try workspace(config: #"{"interpreters": {".py": ["/usr/bin/python3"]}}"#)
        defer { CaptureBench.removeTree(root) }
        let fixtures = CaptureBench.repoFixtures()
        mkdir(root + "/scripts", 0o755)
        for (from, to) in [(fixtures + "/scripts/strategy_analyzer.py", root + "/scripts/strategy_analyzer.py"),
                           (fixtures + "/make_outputs.py", root + "/make_outputs.py")] {
            guard let bytes = AtomicFile.read(from) else { throw Failure(description: "cannot read \(from)") }
            try write(String(decoding: bytes, as: UTF8.self), to: to, mode: 0o755)
        }
        let args = ["--trades", "20", "--end_date", "2024-01-31"]
        // The server and its supervisors inherit the variable; this process marks the client's side.
        let trace = root + "/steps.trace"
        if steps { setenv("BACKTEST_STEP_TRACE", trace, 1) }
        defer { unsetenv("BACKTEST_STEP_TRACE") }
        let server = try Server(binary: binary, root: root, extraEnv: steps ? ["BACKTEST_STEP_TRACE": trace] : [:])
        defer { server.stop() }
        var direct: [Double] = [], viaServer: [Double] = []
        var phases: [[Double]] = [[], [], [], []]
        for k in 0..<repeats {
            let out = root + "/direct-\(k)"
            mkdir(out, 0o755)
            let t0 = MonotonicTime.now()
            let pid = try CaptureBench.spawn("/usr/bin/python3", ["python3", root + "/scripts/strategy_analyzer.py"] + args + ["--output_dir", out],
                                             stdout: -1)
            _ = CaptureBench.wait(pid)
            direct.append(MonotonicTime.now() - t0)

            let request = #"{"jsonrpc":"2.0","id":\#(k + 1),"method":"run","params":{"script":"scripts/strategy_analyzer.py","params":{"trades":20,"end_date":"2024-01-31"}}}"# + "\n"
            let t1 = MonotonicTime.now()
            StepTrace.mark("client: run sent")
            server.send(request)
            let final = try server.nextFinalStatus()
            viaServer.append(MonotonicTime.now() - t1)
            StepTrace.mark("client: final status received")
            guard final["params"]["status"] == "completed" else { throw Failure(description: "the run ended \(final["params"])") }
            let runID = final["params"]["run_id"].stringValue ?? ""
            if let r = record(root, runID) { for (i, p) in historyPhases(r).enumerated() { phases[i].append(p) } }
        }
        let d = CaptureBench.median(direct), v = CaptureBench.median(viaServer)
        print("")
        print("strategy_analyzer.py --trades 20, every default on (\(repeats) runs, alternating)   median     min")
        print("  direct: python3 strategy_analyzer.py     \(CaptureBench.ms(d))  \(CaptureBench.ms(direct.min()!))")
        print("  run -> final run/status at the client    \(CaptureBench.ms(v))  \(CaptureBench.ms(viaServer.min()!))")
        print("  added                                    \(CaptureBench.ms(v - d))   (target < 3 ms)")
        // Each run next to the direct run just before it: less of the machine's drift between the two.
        let pairs = zip(viaServer, direct).map { $0 - $1 }
        print("  added, median of the \(pairs.count) pairs           \(CaptureBench.ms(CaptureBench.median(pairs)))")
        let names = ["queued -> running", "running -> validating", "validating -> completed", "created -> completed"]
        for (i, name) in names.enumerated() where !phases[i].isEmpty {
            print("  record history: \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(CaptureBench.ms(CaptureBench.median(phases[i])))")
        }
        if steps { printSteps(trace: trace, direct: d) }
    }

    static func pad(_ s: String) -> String { String(repeating: " ", count: max(0, 8 - s.count)) + s }

    /// Each step's time from `client: run sent` (median over the runs), in the order reached, with the time
    /// from the step before; the script's own time is set against the direct run's.
    static func printSteps(trace: String, direct: Double) {
        guard let bytes = AtomicFile.read(trace) else { print("  (no step trace at \(trace))"); return }
        let marks: [(ns: Int64, step: String)] = String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let ns = Int64(parts[0]) else { return nil }
            return (ns, String(parts[2]))
        }.sorted { $0.ns < $1.ns }
        var offsets: [String: [Double]] = [:]
        var runs = 0
        var start: Int64?
        var seen: Set<String> = []
        for m in marks {
            if m.step == "client: run sent" { start = m.ns; seen = []; runs += 1 }
            // A step reached twice in one run (a retry) counts once: the first time.
            guard let s = start, seen.insert(m.step).inserted else { continue }
            offsets[m.step, default: []].append(Double(m.ns - s) / 1e9)
            if m.step == "client: final status received" { start = nil }
        }
        let rows = offsets.map { (step: $0.key, at: CaptureBench.median($0.value), n: $0.value.count) }.sorted { $0.at < $1.at }
        print("  steps (median ms after `run` was sent; ms since the step before):")
        var before = 0.0
        for r in rows {
            let name = r.step.padding(toLength: 48, withPad: " ", startingAt: 0)
            print("    \(name) \(pad(CaptureBench.fmt(r.at * 1000, 2))) \(pad(CaptureBench.fmt((r.at - before) * 1000, 2)))\(r.n < runs ? "   (in \(r.n) runs)" : "")")
            before = r.at
        }
        if let a = offsets["supervisor: script spawned"], let b = offsets["supervisor: script ended"], a.count == b.count {
            let script = CaptureBench.median(zip(a, b).map { $1 - $0 })
            print("  the script under the supervisor: \(CaptureBench.fmt(script * 1000, 2)) ms; direct: \(CaptureBench.fmt(direct * 1000, 2)) ms")
            // Per run, then the median: what the server adds on each side of the script, without the script's
            // own round-to-round spread.
            if let c = offsets["client: final status received"], c.count == b.count {
                let after = CaptureBench.median(zip(b, c).map { $1 - $0 })
                print("  before the spawn (run sent -> script spawned) \(CaptureBench.fmt(CaptureBench.median(a) * 1000, 2)) ms; "
                      + "after the script (script ended -> final status at the client) \(CaptureBench.fmt(after * 1000, 2)) ms")
            }
        }
    }

    /// Seconds between the statuses of a record's history: queued→running, running→validating,
    /// validating→completed, and creation to the end.
    static func historyPhases(_ r: JSONValue) -> [Double] {
        var at: [String: Double] = [:]
        for h in r["history"].arrayValue ?? [] {
            if let s = h["status"].stringValue, let t = h["at"].stringValue.flatMap(ISOTime.parse) { at[s] = Double(t) / 1000 }
        }
        guard let q = at["queued"], let r = at["running"], let v = at["validating"], let c = at["completed"] else { return [] }
        return [r - q, v - r, c - v, c - q]
    }

    // MARK: - A big sweep

    static func bigSweep(binary: String, sets: Int) throws {
        let root = try workspace(config: #"{"max_parallel": 2}"#)
        defer { CaptureBench.removeTree(root) }
        try write("#!/bin/sh\nexit 0\n", to: root + "/noop", mode: 0o755)
        let server = try Server(binary: binary, root: root)
        defer { server.stop() }
        let values = (0..<sets).map(String.init).joined(separator: ",")
        let request = #"{"jsonrpc":"2.0","id":1,"method":"sweep","params":{"script":"noop","profile":"none","cache":"off","grid":{"i":[\#(values)]}}}"# + "\n"
        let t0 = MonotonicTime.now()
        server.send(request)
        let answer = try server.reader.next { $0["id"].intValue == 1 }
        let elapsed = MonotonicTime.now() - t0
        guard answer["result"]["total"].intValue == sets else { throw Failure(description: "sweep answered \(answer)") }
        server.send(#"{"jsonrpc":"2.0","id":2,"method":"cancel","params":{"sweep_id":"\#(answer["result"]["sweep_id"].stringValue ?? "")"}}"# + "\n")
        _ = try server.reader.next { $0["id"].intValue == 2 }
        print("")
        print("sweep of \(sets) param sets (trivial script, cache off)")
        print("  request -> answer with every run id      \(CaptureBench.ms(elapsed))   (target < 1000 ms)")
    }

    // MARK: - Helpers

    static func isFinal(_ frame: JSONValue) -> Bool {
        frame["method"].stringValue == "run/status"
            && ["completed", "failed", "cancelled"].contains(frame["params"]["status"].stringValue ?? "")
    }

    static func workspace(config: String) throws -> String {
        let root = try CaptureBench.makeTempDir("bt-manyruns-bench")
        try write(config, to: root + "/backtest-rpc.json", mode: 0o644)
        return root
    }

    static func write(_ text: String, to path: String, mode: mode_t) throws {
        do { try AtomicFile.write(Array(text.utf8), to: path, mode: mode) } catch { throw Failure(description: "\(error)") }
    }

    static func record(_ root: String, _ runID: String) -> JSONValue? {
        AtomicFile.read(root + "/backtests/" + runID + "/run.json").flatMap { try? JSONParser.parse($0) }
    }

    /// A server on a workspace, with a frame reader on its output.
    final class Server {
        let pid: pid_t
        let input: Int32
        var reader: StreamBench.FrameReader

        init(binary: String, root: String, extraEnv: [String: String] = [:]) throws {
            let (pid, toServer, fromServer) = try StreamBench.startServer(binary: binary, root: root, extraEnv: extraEnv)
            self.pid = pid
            input = toServer[1]
            reader = StreamBench.FrameReader(fd: fromServer[0])
            send(#"{"jsonrpc":"2.0","id":0,"method":"health"}"# + "\n")
            _ = try reader.next { $0["id"].intValue == 0 }
        }

        func send(_ text: String) {
            var bytes = Array(text.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeMutableBytes { Glibc.write(input, $0.baseAddress! + off, $0.count - off) }
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }

        /// Reads until `count` final `run/status` notifications arrived; a refused request throws.
        func waitForFinalStatuses(_ count: Int) throws {
            for _ in 0..<count { _ = try nextFinalStatus() }
        }

        /// The next final `run/status` notification; a refused request throws.
        func nextFinalStatus() throws -> JSONValue {
            try reader.next { frame in
                if !frame["error"].isNull { throw Failure(description: "run refused: \(JSONWriter.string(frame["error"]))") }
                return ManyRunsBench.isFinal(frame)
            }
        }

        func stop() {
            close(input)
            _ = CaptureBench.wait(pid)
            close(reader.fd)
        }
    }
}
