import Base
import CSystem
import Foundation
import Glibc
import JSON
import Provenance

/// What a standby supervisor does while it waits for its run: what a run's start and end would otherwise do
/// for the first time in this process. A fresh process pays for each code path it touches first (page faults
/// into the binary, the runtime's type metadata): reading the run's record took 0.3 ms in a fresh standby
/// against 0.05 ms warm; the hooks (the index, the config, the profiles), validation, the metrics and the
/// metadata's end cost more cold too, each on the path to the script's start or to the final status. Nothing
/// made here is kept but the index connection, which `StandardHooks` keeps per process anyway; the hooks are
/// made again for the run (the config may change meanwhile).
///
/// It runs on a thread of its own at the lowest priority: a standby starts while another run's script runs,
/// and must not take CPU from it. The run may come before it is done; it then goes on beside the run, still
/// at that priority.
enum StandbyWarmUp {
    static func start(layout: WorkspaceLayout, makeHooks: @escaping @Sendable (WorkspaceLayout) -> SupervisorHooks) {
        let thread = Thread {
            _ = csys_thread_lowest_priority()
            run(layout: layout, makeHooks: makeHooks)
        }
        thread.start()
    }

    private static func run(layout: WorkspaceLayout, makeHooks: (WorkspaceLayout) -> SupervisorHooks) {
        var record = sampleRecord(in: layout.runsDir + "/" + sampleRunID)
        record.status = .running
        record.startedAt = ISOTime.nowMillis()
        record.warnings = ["warm-up"]
        let spec = RunSpec(executable: "/usr/bin/python3", argv: ["/usr/bin/python3", "warm_up.py", "--fast", "10"],
                           envAdded: ["BACKTEST_RUN_ID": record.runID], baseEnv: ProcessEnvironment.current(), cwd: layout.root,
                           timeoutSeconds: nil, killGraceSeconds: 5, profile: nil, scriptPath: layout.root + "/warm_up.py",
                           workspaceRoot: layout.root, inputs: [])
        for _ in 0..<2 {
            let recordBytes = JSONWriter.pretty(record.json(), numbersAsWritten: true)
            let specBytes = JSONWriter.pretty(spec.json(), numbersAsWritten: true)
            _ = (try? JSONParser.parse(recordBytes, keepingNumberText: true)).flatMap(RunRecord.init(json:))
            _ = (try? JSONParser.parse(specBytes, keepingNumberText: true)).flatMap(RunSpec.init(json:))
            _ = JSONWriter.string(record.json(), numbersAsWritten: true)
        }
        let hooks = makeHooks(layout)
        aRun(hooks: hooks, spec: spec)
        // After `aRun`, whose watch took the instance made before.
        WorkingDirWatch.prepareInstance()
    }

    /// The start and the end of a tiny run in a temporary directory (memory-backed where there is one), but
    /// for its spawn: the log, the watches of its working dir and of its results, validation, the metrics
    /// and the metadata's end. Both ends are on the path to the client's final status: the end ran 0.2 ms
    /// slower cold, and the working dir's first watch took 0.1 ms.
    private static func aRun(hooks: SupervisorHooks, spec: RunSpec) {
        let base = FileSystem.isDirectory("/dev/shm") && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
            : (ProcessEnvironment.current()["TMPDIR"] ?? "/tmp")
        var template = Array((base + "/backtest-rpc-warm-up-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return }
        let dir = String(cString: made)
        defer { FileSystem.removeTree(dir) }
        guard mkdir(dir + "/results", 0o755) == 0 else { return }
        let paths = RunPaths(runDir: dir)
        _ = try? LogWriter(paths: paths)
        _ = RecordReserve.make(paths)
        _ = WorkingDirCapture.applies(cwd: dir + "/results", runDir: dir)
        let watch = WorkingDirWatch.begin(root: dir + "/results", sinceNanos: WorkingDirSnapshot.coarseNowNanos())
        watch.watchRest()
        var record = sampleRecord(in: dir)
        for (name, text) in sampleResults {
            guard (try? AtomicFile.write(Array(text.utf8), to: dir + "/results/" + name, sync: false)) != nil else { return }
        }
        _ = watch.finish()
        // The early end's watcher made and a watch come and gone, but no work begun (the results were written
        // before the watch): that work would run at the watcher's priority, beside another run's script.
        let early = EarlyEnd.start(resultsDir: dir + "/results") { [record] in hooks.prepareEnd?(record, spec) ?? PreparedEnd() }
        _ = early?.finish()
        record.status = .validating
        record.exitCode = 0
        // Both ways: with the result files' part done ahead (the usual end of a run), and without.
        let prepared = hooks.prepareEnd?(record, spec)
        _ = hooks.validate(record, spec, prepared)
        _ = hooks.analyse(record, spec, prepared)
        _ = hooks.validate(record, spec, nil)
        _ = RunProvenance.finish(runDir: dir, backtestID: record.runID, exitCode: 0, durationSeconds: 0.1,
                                 status: "completed", sync: false)
    }

    static let sampleRunID = "00000000_000000_000"

    /// A queued record of the sample run, living in `dir`.
    private static func sampleRecord(in dir: String) -> RunRecord {
        RunRecord(runID: sampleRunID, script: "warm_up.py", params: ["capital": 1_000_000, "fast": 10],
                  createdAt: ISOTime.nowMillis(), runDir: dir, outputDir: dir + "/results")
    }

    /// A run's results as `Tests/Fixtures/make_outputs.py --trades 3 --days 5` writes them.
    static let sampleResults: [(String, String)] = [
        ("trades.csv", """
            entry_time,exit_time,symbol,strike,option_type,qty,pnl
            2020-01-02T14:44:10,2020-01-02T15:25:10,BANKNIFTY,42200,CE,15,-859.25
            2020-01-06T09:37:55,2020-01-06T13:50:18,NIFTY,17650,PE,25,938.04
            2020-01-07T10:02:11,2020-01-07T11:15:40,NIFTY,17700,CE,50,-751.59

            """),
        ("pnl.csv", """
            date,pnl,cumulative_pnl
            2020-01-01,0.00,0.00
            2020-01-02,-859.25,-859.25
            2020-01-03,0.00,-859.25
            2020-01-06,938.04,78.79
            2020-01-07,-751.59,-672.80

            """),
        ("summary.csv", """
            metric,value
            total_pnl,-672.80
            total_trades,3

            """),
        ("metadata.json", #"{"strategy": "synthetic", "parameters": {"capital": 1000000.0}}"# + "\n"),
    ]
}
