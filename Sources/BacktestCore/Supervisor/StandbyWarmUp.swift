import Base
import CSystem
import Foundation
import JSON

/// What a standby supervisor does while it waits for its run: everything a run's first milliseconds would
/// otherwise do for the first time in this process. A fresh process pays for each code path it touches
/// first (page faults into the binary, the runtime's type metadata): reading the run's record took 0.3 ms
/// in a fresh standby against 0.05 ms warm, and the hooks (the index, the config, the profiles) more, on
/// the path to the script's start or beside it on a machine of two cores. Nothing made here is kept but
/// the index connection, which `StandardHooks` keeps per process anyway; the hooks are made again for the
/// run (the config may change meanwhile).
///
/// It runs on a thread of its own at the lowest priority: a standby starts while another run's script runs, and
/// must not take CPU from it. The run may come before it is done; it then goes on beside the run, still at that priority.
enum StandbyWarmUp {
    static func start(layout: WorkspaceLayout, makeHooks: @escaping @Sendable (WorkspaceLayout) -> SupervisorHooks) {
        let thread = Thread {
            _ = csys_thread_lowest_priority()
            run(layout: layout, makeHooks: makeHooks)
        }
        thread.start()
    }

    private static func run(layout: WorkspaceLayout, makeHooks: (WorkspaceLayout) -> SupervisorHooks) {
        let dir = layout.runsDir + "/00000000_000000_000"
        var record = RunRecord(runID: "00000000_000000_000", script: "warm_up.py", params: ["fast": 10, "name": "x"],
                               createdAt: ISOTime.nowMillis(), runDir: dir, outputDir: dir + "/results")
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
        _ = makeHooks(layout)
    }
}
