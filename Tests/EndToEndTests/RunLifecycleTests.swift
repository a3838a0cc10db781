import Foundation
import Glibc
import JSON
import XCTest

/// A run's life through the built binary, the way a client sees it: every status path, params to argv,
/// the environment, isolation of concurrent runs, cancel of a whole process tree, and the errors of `run`.
final class RunLifecycleTests: XCTestCase {
    var ws: RunWorkspace!

    override func setUpWithError() throws { ws = try RunWorkspace() }
    override func tearDown() { ws?.remove() }

    func testGoodStrategyCompletesWithStreamedLogAndProgress() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/strategy_analyzer.py",
                                params: ["start_date": "2024-01-01", "end_date": "2024-01-31", "trades": 40])
        let done = try s.waitForStatus(id, "completed")
        XCTAssertEqual(done["params"]["exit_code"], 0)
        XCTAssertEqual(s.statuses(id), ["running", "validating", "completed"])
        let record = try s.result("status", ["run_id": .string(id)])
        XCTAssertEqual(record["status"], "completed")
        XCTAssertNil(record["failure"].stringValue)
        XCTAssertNotNil(record["started_at"].stringValue)
        XCTAssertNotNil(record["duration_seconds"].doubleValue)
        // Log lines arrive in order, from both streams, and match execution.log.
        let texts = s.logTexts(id)
        XCTAssertTrue(texts.first?.hasPrefix("Starting backtest") == true, "\(texts.prefix(3))")
        XCTAssertTrue(texts.contains { $0.hasPrefix("WARNING:") }, "stderr lines are streamed too")
        XCTAssertEqual(texts.joined(separator: "\n") + "\n", ws.read(id, "execution.log"))
        XCTAssertFalse(s.notifications(matching: "run/progress").isEmpty)
        for f in ["trades.csv", "pnl.csv", "summary.csv"] { XCTAssertTrue(ws.fileExists(id, "results/" + f), f) }
        XCTAssertEqual(s.stdoutGarbage, [])
    }

    /// A run may be running before its `run` answer is written (it goes straight to a waiting supervisor):
    /// still, no notification about it reaches the client before the answer that gives the client its id.
    func testTheAnswerToRunComesBeforeAnyNotificationOfTheRun() throws {
        try ws.write("quick.py", "print('hi')\n")
        let s = try ws.server()
        var ids: [String] = []
        for _ in 0..<15 {
            // One at a time, each after the last one ended: the case where a standby waits for each run.
            let id = try s.startRun("quick.py", extra: ["profile": "none"])
            _ = try waitForEnd(s, id)
            ids.append(id)
        }
        let frames = s.frames
        for id in ids {
            let answer = frames.firstIndex { $0.objectValue?["method"] == nil && $0["result"]["run_id"] == .string(id) }
            let firstNotification = frames.firstIndex { $0.objectValue?["method"] != nil && $0["params"]["run_id"] == .string(id) }
            XCTAssertNotNil(answer, id)
            XCTAssertNotNil(firstNotification, id)
            if let answer, let firstNotification { XCTAssertLessThan(answer, firstNotification, "run \(id)") }
            XCTAssertEqual(s.statuses(id).first, "running", "run \(id)")
            XCTAssertEqual(s.statuses(id).last, "completed", "run \(id)")
        }
    }

    /// A run handed straight to a waiting supervisor gets its index row a moment after the answer
    /// (`LateIndexRows`): a `list` sent right after the answer still finds it, every time.
    func testListRightAfterTheAnswerFindsTheRun() throws {
        try ws.write("quick.py", "print('hi')\n")
        let s = try ws.server()
        for _ in 0..<10 {
            let id = try s.startRun("quick.py", extra: ["profile": "none"])
            let listed = try s.result("list", ["limit": 5])
            XCTAssertTrue(listed["runs"].arrayValue?.contains { $0["run_id"] == .string(id) } == true, "run \(id) is listed at once")
            _ = try waitForEnd(s, id)
        }
    }

    func testCrashFailsWithExitCodeAndKeepsStderr() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/crash.py")
        let failed = try s.waitForStatus(id, "failed")
        XCTAssertEqual(failed["params"]["failure"], "exit_code")
        XCTAssertEqual(failed["params"]["exit_code"], 3)
        XCTAssertTrue(s.logTexts(id).contains { $0.hasPrefix("ERROR:") })
        let logs = try s.result("logs", ["run_id": .string(id), "stream": "stderr"])
        XCTAssertTrue(logs["lines"].arrayValue?.allSatisfy { $0["stream"] == "stderr" } == true)
        XCTAssertEqual(logs["complete"], true)
    }

    func testSpawnErrorWhenTheInterpreterIsMissing() throws {
        try ws.write("bad.sh", "#!/nonexistent/interpreter\necho never\n", executable: true)
        let s = try ws.server()
        let id = try s.startRun("bad.sh")
        let failed = try s.waitForStatus(id, "failed")
        XCTAssertEqual(failed["params"]["failure"], "spawn_error")
        XCTAssertNotNil(failed["params"]["error_message"].stringValue)
    }

    func testTimeoutEndsTheRun() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/hang.py", extra: ["timeout_s": 1])
        let failed = try s.waitForStatus(id, "failed", timeout: 20)
        XCTAssertEqual(failed["params"]["failure"], "timeout")
        let pid = Int32(ws.record(id)?["pid"].intValue ?? 0)
        XCTAssertTrue(eventually(within: 5) { !processAlive(pid) })
    }

    func testParamsBecomeArgvAndArgsFollow() throws {
        try ws.write("argv.py", """
            import json, os, sys
            with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "argv.json"), "w") as f:
                json.dump(sys.argv[1:], f)
            """)
        let s = try ws.server()
        let id = try s.startRun("argv.py", params: [
            "capital": 1000000, "ratio": 0.5, "name": "two words", "verbose": true, "dry": false, "skip": nil,
            "symbols": ["NIFTY", "BANKNIFTY"], "cfg": ["a": 1],
        ], extra: ["args": ["--extra", "x"]])
        try s.waitForNotification("run/status") { $0["params"]["run_id"] == .string(id) && ($0["params"]["status"] == "completed" || $0["params"]["status"] == "failed") }
        let argv = try JSONParser.parse(ws.read(id, "results/argv.json") ?? "")
        let results = ws.runDir(id) + "/results"
        XCTAssertEqual(argv, .array([
            "--capital", "1000000", "--ratio", "0.5", "--name", "two words", "--verbose",
            "--symbols", "NIFTY", "BANKNIFTY", "--cfg", "{\"a\":1}", "--extra", "x", "--output_dir", .string(results),
        ]))
    }

    func testEnvironmentReachesGrandchildrenAndRunsAreIsolated() throws {
        let s = try ws.server()
        let a = try s.startRun("fixtures/scripts/spawner.py", params: ["sleep": 0, "delay": 0])
        let b = try s.startRun("fixtures/scripts/spawner.py", params: ["sleep": 0, "delay": 0])
        XCTAssertNotEqual(a, b)
        for id in [a, b] {
            try s.waitForNotification("run/status", timeout: 30) { $0["params"]["run_id"] == .string(id) && $0["params"]["status"] == "failed" || $0["params"]["run_id"] == .string(id) && $0["params"]["status"] == "completed" }
            for n in [1, 2] {
                let started = ws.read(id, "results/grandchild_\(n).started") ?? ""
                XCTAssertTrue(started.contains("run_id=\(id)"), "grandchild \(n) of \(id) saw: \(started)")
            }
            // Each run's results hold its own files and nothing of the other run.
            let files = try FileManager.default.contentsOfDirectory(atPath: ws.runDir(id) + "/results").sorted()
            XCTAssertEqual(files, ["grandchild_1.finished", "grandchild_1.started", "grandchild_2.finished",
                                   "grandchild_2.started", "spawner.pids"])
        }
    }

    func testCancelKillsTheWholeProcessTree() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/spawner.py", params: ["sleep": 30, "delay": 0])
        XCTAssertTrue(eventually { ws.fileExists(id, "results/grandchild_1.started") && ws.fileExists(id, "results/grandchild_2.started") && ws.fileExists(id, "results/spawner.pids") })
        let pids = (ws.read(id, "results/spawner.pids") ?? "").split(separator: "\n").compactMap { Int32($0) }
        XCTAssertEqual(pids.count, 3)
        let answer = try s.result("cancel", ["run_id": .string(id)])
        XCTAssertEqual(answer["run_id"], .string(id))
        let cancelled = try s.waitForStatus(id, "cancelled", timeout: 20)
        XCTAssertEqual(cancelled["params"]["status"], "cancelled")
        for pid in pids { XCTAssertTrue(eventually(within: 5) { !processAlive(pid) }, "pid \(pid) survived the cancel") }
        XCTAssertFalse(ws.fileExists(id, "results/grandchild_1.finished"))
        // A second cancel is an error of its own.
        let again = try s.request("cancel", ["run_id": .string(id)])
        XCTAssertEqual(again["error"]["code"], 2006)
    }

    func testCancelOfAGraceIgnoringScriptEscalatesToSIGKILL() throws {
        try ws.write("backtest-rpc.json", #"{"kill_grace_s": 0.5}"#)
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/hang.py", params: ["ignore-term": true])
        try s.waitForStatus(id, "running")
        XCTAssertTrue(eventually { s.logTexts(id).contains("hanging") })
        _ = try s.result("cancel", ["run_id": .string(id)])
        try s.waitForStatus(id, "cancelled", timeout: 10)
        let pid = Int32(ws.record(id)?["pid"].intValue ?? 0)
        XCTAssertFalse(processAlive(pid))
    }

    func testRunErrorsAreSpecific() throws {
        let s = try ws.server()
        let missing = try s.request("run", ["script": "nope.py"])
        XCTAssertEqual(missing["error"]["code"], 2002)
        XCTAssertEqual(missing["error"]["data"]["script"], "nope.py")
        let escape = try s.request("run", ["script": "../../etc/passwd"])
        XCTAssertEqual(escape["error"]["code"], 2003)
        try ws.write("data.txt", "not a script")
        let notRunnable = try s.request("run", ["script": "data.txt"])
        XCTAssertEqual(notRunnable["error"]["code"], 2004)
        let badType = try s.request("run", ["script": 42])
        XCTAssertEqual(badType["error"]["code"], -32602)
        XCTAssertEqual(badType["error"]["data"]["field"], "script")
        let unknown = try s.request("status", ["run_id": "20000101_000000_000"])
        XCTAssertEqual(unknown["error"]["code"], 2001)
        XCTAssertEqual(unknown["error"]["data"]["run_id"], "20000101_000000_000")
        // The server keeps serving after all of these.
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    func testBadConfigNamesTheKeyAndTheServerKeepsServing() throws {
        try ws.write("backtest-rpc.json", #"{"max_parallel": "two"}"#)
        let s = try ws.server()
        let r = try s.request("run", ["script": "fixtures/scripts/crash.py"])
        XCTAssertEqual(r["error"]["code"], 2005)
        XCTAssertEqual(r["error"]["data"]["key"], "max_parallel")
        XCTAssertEqual(try s.result("health")["status"], "ok")
        // Fixing the file is enough: the next request opens the workspace.
        try ws.write("backtest-rpc.json", #"{"max_parallel": 2}"#)
        XCTAssertEqual(try s.result("list")["total"], 0)
    }

    func testLogsTailAfterSeqAndList() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/log_flood.py", params: ["lines": 5000], extra: ["tags": ["flood"], "note": "n"])
        try s.waitForNotification("run/status", timeout: 30) { $0["params"]["run_id"] == .string(id) && ["completed", "failed"].contains($0["params"]["status"].stringValue ?? "") }
        let tail = try s.result("logs", ["run_id": .string(id), "tail": 3])
        XCTAssertEqual(tail["lines"].arrayValue?.compactMap { $0["text"].stringValue },
                       ["log line 000004997 processing tick", "log line 000004998 processing tick", "log line 000004999 processing tick"])
        XCTAssertEqual(tail["total_lines"], 5000)
        let page = try s.result("logs", ["run_id": .string(id), "after_seq": 99, "limit": 2])
        XCTAssertEqual(page["lines"].arrayValue?.compactMap { $0["seq"].intValue }, [100, 101])
        XCTAssertEqual(page["next_seq"], 102)
        XCTAssertEqual(page["complete"], false)
        let listed = try s.result("list", ["tag": "flood"])
        XCTAssertEqual(listed["total"], 1)
        XCTAssertEqual(listed["runs"][0]["note"], "n")
        XCTAssertEqual(try s.result("list", ["tag": "other"])["total"], 0)
    }
}
