import Foundation
import Glibc
import JSON
import XCTest

/// Runs live apart from the server and its client: what survives what, and how a server leaves.
final class RunSurvivalTests: XCTestCase {
    var ws: RunWorkspace!

    override func setUpWithError() throws { ws = try RunWorkspace() }
    override func tearDown() { ws?.remove() }

    func testRunFinishesAfterTheServerIsKilledAndANewServerSeesIt() throws {
        let first = try ws.server()
        let id = try first.startRun("fixtures/scripts/strategy_analyzer.py",
                                    params: ["end_date": "2024-01-31", "trades": 20, "sleep": 1.5])
        try first.waitForStatus(id, "running")
        first.kill(SIGKILL)
        XCTAssertEqual(try first.waitForExit(), 128 + SIGKILL)

        let second = try ws.server()
        _ = try second.result("subscribe", ["run_id": .string(id)])
        let final = try second.waitForNotification("run/status", timeout: 30) {
            $0["params"]["run_id"] == .string(id) && $0["params"]["status"] == "completed"
        }
        XCTAssertEqual(final["params"]["exit_code"], 0)
        XCTAssertEqual(try second.result("status", ["run_id": .string(id)])["status"], "completed")
        // The whole log is there, although its first server died while it ran.
        XCTAssertTrue(ws.read(id, "execution.log")?.contains("Backtest complete") == true)
    }

    func testKilledSupervisorMakesTheRunInterruptedWithNothingLeft() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/spawner.py", params: ["sleep": 60, "delay": 0])
        try s.waitForStatus(id, "running")
        XCTAssertTrue(eventually { ws.fileExists(id, "results/spawner.pids") })
        let pids = (ws.read(id, "results/spawner.pids") ?? "").split(separator: "\n").compactMap { Int32($0) }
        let supervisor = Int32(try s.result("status", ["run_id": .string(id)])["supervisor_pid"].intValue ?? 0)
        XCTAssertGreaterThan(supervisor, 0)
        kill(supervisor, SIGKILL)
        XCTAssertTrue(eventually { !processAlive(supervisor) })
        // The next look finds out: the lock is free, so nobody runs it.
        let record = try s.result("status", ["run_id": .string(id)])
        XCTAssertEqual(record["status"], "failed")
        XCTAssertEqual(record["failure"], "interrupted")
        for pid in pids { XCTAssertTrue(eventually(within: 5) { !processAlive(pid) }, "pid \(pid) outlived its run") }
        XCTAssertEqual(try s.result("list", ["status": "running"])["total"], 0)
    }

    func testStdinEOFStreamsUntilOwnRunsEndThenExitsZero() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/strategy_analyzer.py", params: ["end_date": "2024-01-31", "trades": 20, "sleep": 0.5])
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(timeout: 30), 0)
        XCTAssertEqual(s.statuses(id).last, "completed")
        XCTAssertTrue(s.logTexts(id).contains { $0.hasPrefix("Backtest complete") })
    }

    /// The standby supervisor a server keeps ready (so a script starts without waiting for a supervisor
    /// process to start) takes a run, is replaced, and does not outlive its server.
    func testStandbySupervisorTakesRunsAndLeavesWithItsServer() throws {
        let s = try ws.server()
        _ = try s.result("list")  // opens the workspace
        XCTAssertTrue(eventually { !standbys(of: ws.root).isEmpty }, "the server keeps a standby supervisor")
        let first = standbys(of: ws.root)
        let id = try s.startRun("fixtures/scripts/crash.py")
        try s.waitForStatus(id, "failed")
        let supervisor = Int32(ws.record(id)?["supervisor_pid"].intValue ?? 0)
        XCTAssertTrue(first.contains(supervisor), "the run went to the standby \(first), not \(supervisor)")
        XCTAssertTrue(eventually { !standbys(of: ws.root).subtracting(first).isEmpty }, "a new standby replaces it")
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(timeout: 20), 0)
        XCTAssertTrue(eventually(within: 10) { standbys(of: ws.root).isEmpty }, "standbys outlived their server")
    }

    /// Pids of standby supervisors of a workspace, from the process table.
    func standbys(of root: String) -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: Set<Int32> = []
        for e in entries {
            guard let pid = Int32(e), let data = FileManager.default.contents(atPath: "/proc/\(e)/cmdline") else { continue }
            let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if args.contains("--standby"), args.contains(root), processAlive(pid) { found.insert(pid) }
        }
        return found
    }

    func testSIGINTCancelsOwnRunsAndSIGTERMLeavesThemRunning() throws {
        let a = try ws.server()
        let cancelled = try a.startRun("fixtures/scripts/hang.py")
        try a.waitForStatus(cancelled, "running")
        a.kill(SIGINT)
        XCTAssertEqual(try a.waitForExit(timeout: 20), 130)
        XCTAssertEqual(ws.record(cancelled)?["status"], "cancelled")

        let b = try ws.server()
        let survivor = try b.startRun("fixtures/scripts/hang.py")
        try b.waitForStatus(survivor, "running")
        b.kill(SIGTERM)
        _ = try b.waitForExit(timeout: 10)
        XCTAssertEqual(ws.record(survivor)?["status"], "running")
        let pid = Int32(ws.record(survivor)?["pid"].intValue ?? 0)
        XCTAssertTrue(processAlive(pid))
        let c = try ws.server()
        _ = try c.result("subscribe", ["run_id": .string(survivor)])
        _ = try c.result("cancel", ["run_id": .string(survivor)])
        try c.waitForStatus(survivor, "cancelled", timeout: 20)
    }

    /// 200 runs queued at once by two servers with max_parallel 2: all complete, ids distinct, never more
    /// than two at once (each run stamps its start and end into its results).
    func testTwoHundredQueuedRunsFromTwoServersShareTheParallelBudget() throws {
        try ws.write("backtest-rpc.json", #"""
            {"max_parallel": 2, "profiles": {"stamp": {"files": {"stamp.txt": {"required": true}}}},
             "validation": {"default_profile": "stamp"}}
            """#)
        try ws.write("stamp.sh", """
            #!/bin/sh
            s=$(date +%s%N); sleep 0.02; e=$(date +%s%N)
            echo "$s $e" > "$BACKTEST_OUTPUT_DIR/stamp.txt"
            """, executable: true)
        let a = try ws.server(), b = try ws.server()
        var ids: [String] = []
        for _ in 0..<100 {
            _ = try a.sendRequest("run", ["script": "stamp.sh"])
            _ = try b.sendRequest("run", ["script": "stamp.sh"])
        }
        for s in [a, b] {
            for n in 1...100 {
                let r = try s.waitForResponse(id: .int(Int64(n)), timeout: 30)
                guard let id = r["result"]["run_id"].stringValue else { return XCTFail("run failed: \(r)") }
                ids.append(id)
            }
        }
        XCTAssertEqual(Set(ids).count, 200, "run ids are unique")
        XCTAssertTrue(eventually(within: 120) {
            ids.allSatisfy { ws.record($0)?["status"].stringValue.map { ["completed", "failed", "cancelled"].contains($0) } == true }
        }, "all 200 runs ended")
        var spans: [(Int64, Int64)] = []
        for id in ids {
            XCTAssertEqual(ws.record(id)?["status"], "completed", "\(id): \(String(describing: ws.record(id)?["error_message"]))")
            let parts = (ws.read(id, "results/stamp.txt") ?? "").split(separator: " ").compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if parts.count == 2 { spans.append((parts[0], parts[1])) }
        }
        XCTAssertEqual(spans.count, 200)
        // Ends sort before starts at the same instant, so touching spans do not count as overlapping.
        var events: [(at: Int64, delta: Int)] = []
        for (start, end) in spans { events.append((start, 1)); events.append((end, -1)) }
        events.sort { a, b in a.at != b.at ? a.at < b.at : a.delta < b.delta }
        var running = 0, peak = 0
        for e in events { running += e.delta; peak = max(peak, running) }
        XCTAssertLessThanOrEqual(peak, 2, "never more than max_parallel scripts at once")
        XCTAssertEqual(try a.result("list", ["limit": 1])["total"], 200, "each server lists every run")
    }

    /// A client that does not read: the script is never blocked, the server drops log notifications beyond
    /// its buffer and says how many, status notifications all arrive, and `logs` fills the gap.
    func testSlowReaderGetsDroppedCountsButEveryStatus() throws {
        let s = try ws.server()
        s.pauseReading()
        _ = try s.sendRequest("run", ["script": "fixtures/scripts/log_flood.py", "params": ["lines": 400_000, "line-bytes": 120]])
        var id = ""
        XCTAssertTrue(eventually { (id = ws.runIDs().first ?? "", !id.isEmpty).1 })
        XCTAssertTrue(eventually(within: 60) {
            ws.record(id)?["status"].stringValue.map { ["completed", "failed"].contains($0) } == true
        }, "the run ended although nobody read the server's output")
        s.resumeReading()
        let final = try s.waitForNotification("run/status", timeout: 60) {
            $0["params"]["run_id"] == .string(id) && $0["params"]["status"] == "failed"
        }
        XCTAssertEqual(final["params"]["failure"], "validation", "log_flood writes no outputs")
        let logs = s.notifications(matching: "run/log").filter { $0["params"]["run_id"] == .string(id) }
        let delivered = logs.reduce(0) { $0 + ($1["params"]["lines"].arrayValue?.count ?? 0) }
        let dropped = logs.reduce(0) { $0 + ($1["params"]["dropped"].intValue ?? 0) }
        XCTAssertGreaterThan(dropped, 0, "a client that does not read must lose lines, not stall the server")
        XCTAssertEqual(delivered + dropped, 400_000)
        let statuses = s.statuses(id)
        XCTAssertEqual(statuses.first, "running")
        XCTAssertEqual(statuses.last, "failed")
        let page = try s.result("logs", ["run_id": .string(id), "after_seq": 199_999, "limit": 1])
        XCTAssertEqual(page["lines"][0]["seq"], 200_000)
    }
}
