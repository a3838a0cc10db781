import Foundation
import Glibc
import JSON
import XCTest

/// Sweeps, the result cache and run management through the built binary: `sweep` (grid, param_sets,
/// rank_by), `status`/`cancel`/`rerun {sweep_id}`, `sweep/progress`, `cache: reuse` (a hit runs nothing, a
/// changed module or input byte is a miss), `delete` and `tag`.
final class SweepTests: XCTestCase {
    var ws: RunWorkspace!

    override func tearDown() { ws?.removeAfterSupervisors() }

    /// A strategy that records each real execution in `executions.txt` (outside any run dir: a cached run
    /// must leave no line there), imports a local module, reads an input file, and fails for fast = 13.
    private func makeWorkspace(maxParallel: Int = 2) throws {
        ws = try RunWorkspace(config: ["max_parallel": .int(Int64(maxParallel))])
        try ws.write("helper.py", "FACTOR = 2\n")
        try ws.write("data.csv", "x\n1\n")
        try ws.write("strat.py", """
            import argparse, os, sys
            import helper
            p = argparse.ArgumentParser()
            p.add_argument("--fast", type=int); p.add_argument("--slow", type=int); p.add_argument("--mode")
            p.add_argument("--output_dir")
            a = p.parse_args()
            with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "executions.txt"), "a") as f:
                f.write("%s %s\\n" % (a.fast, a.slow))
            with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "score.txt"), "w") as f:
                f.write(str(a.fast * helper.FACTOR))
            print("fast", a.fast, "slow", a.slow)
            sys.exit(3 if a.fast == 13 else 0)
            """)
    }

    private func executions() -> [String] {
        ((try? String(contentsOfFile: ws.root + "/executions.txt", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    private func sweep(_ s: ServerProcess, _ extra: JSONObject) throws -> (id: String, runs: [String]) {
        var p: JSONObject = ["script": "strat.py", "profile": "none", "inputs": ["data.csv"]]
        for (k, v) in extra { p[k] = v }
        let r = try s.result("sweep", .object(p))
        let runs = r["run_ids"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(r["total"].intValue, runs.count)
        return (r["sweep_id"].stringValue ?? "", runs)
    }

    private func waitForSweep(_ s: ServerProcess, _ id: String, ended total: Int) throws -> JSONValue {
        do { return try waitForProgress(s, id, ended: total) } catch {
            let last = s.notifications(matching: "sweep/progress").last.map { JSONWriter.string($0) } ?? "none"
            throw ServerProcess.Failure(description: "\(error); last sweep/progress: \(last)")
        }
    }

    private func waitForProgress(_ s: ServerProcess, _ id: String, ended total: Int) throws -> JSONValue {
        try s.waitForNotification("sweep/progress", timeout: 20) {
            let p = $0["params"]
            let ended = ["completed", "failed", "cancelled"].compactMap { p[$0].intValue }.reduce(0, +)
            return p["sweep_id"] == .string(id) && ended == total
        }
    }

    func testGridRunsEveryCombinationInOrderAndRanksThem() throws {
        try makeWorkspace()
        let s = try ws.server()
        let (id, runs) = try sweep(s, ["grid": ["fast": [1, 2, 3], "slow": [10, 20]], "params": ["mode": "x"],
                                        "rank_by": "params.fast", "cache": "off"])
        XCTAssertEqual(runs.count, 6)
        let done = try waitForSweep(s, id, ended: 6)["params"]
        XCTAssertEqual(done["completed"].intValue, 6, "\(done) \(JSONWriter.string(ws.record(runs[0]) ?? .null))")
        XCTAssertTrue([runs[4], runs[5]].contains(done["best"]["run_id"].stringValue ?? ""), "fast 3 is the largest: \(done)")
        // The cartesian product in the order given: the last param varies fastest.
        let sets = runs.map { ws.record($0)?["params"] ?? .null }
        XCTAssertEqual(sets.map { $0["fast"].intValue ?? 0 }, [1, 1, 2, 2, 3, 3])
        XCTAssertEqual(sets.map { $0["slow"].intValue ?? 0 }, [10, 20, 10, 20, 10, 20])
        XCTAssertTrue(sets.allSatisfy { $0["mode"] == "x" })
        XCTAssertTrue(runs.allSatisfy { ws.record($0)?["sweep_id"].stringValue == id })
        XCTAssertEqual(ws.read(runs[3], "results/score.txt"), "4")
        let status = try s.result("status", ["sweep_id": .string(id)])
        XCTAssertEqual(status["total"].intValue, 6)
        XCTAssertEqual(status["completed"].intValue, 6)
        XCTAssertEqual(status["best"]["value"].doubleValue, 3)
        // list and compare by sweep, searched and ranked by the index.
        XCTAssertEqual(try s.result("list", ["sweep_id": .string(id)])["total"].intValue, 6)
        let fast3 = try s.result("list", ["sweep_id": .string(id), "where": "params.fast = 3", "order_by": "params.slow desc"])
        XCTAssertEqual(fast3["runs"].arrayValue?.compactMap { $0["run_id"].stringValue }, [runs[5], runs[4]])
        let ranked = try s.result("compare", ["where": .string("sweep_id = \"\(id)\" and params.slow = 20"), "order_by": "params.fast desc"])
        XCTAssertEqual(ranked["rows"].arrayValue?.compactMap { $0["run_id"].stringValue }, [runs[5], runs[3], runs[1]])

        // The sweep's report: ranked runs and a heatmap of rank_by over the two swept params.
        let report = try s.result("report", ["sweep_id": .string(id)])
        let html = try String(contentsOfFile: report["path"].stringValue ?? "", encoding: .utf8)
        XCTAssertTrue(html.contains("<h2>params.fast by fast and slow</h2>"), html)
        XCTAssertEqual(html.components(separatedBy: "<table class=\"heat\">").count, 2)
        for r in runs { XCTAssertTrue(html.contains(r), "\(r) not in the report") }
        XCTAssertLessThan(html.range(of: runs[5])!.lowerBound, html.range(of: runs[0])!.lowerBound, "best first")
        let missing = try s.request("status", ["sweep_id": "sweep_20000101_000000_000"])
        XCTAssertEqual(missing["error"]["code"].intValue, 2013)
        let both = try s.request("status", ["sweep_id": .string(id), "run_id": .string(runs[0])])
        XCTAssertEqual(both["error"]["code"].intValue, -32602)
    }

    func testParamSetsAreCrossedWithTheGridAndFailedRunsCanBeRerun() throws {
        try makeWorkspace()
        let s = try ws.server()
        let (id, runs) = try sweep(s, ["param_sets": [["fast": 13], ["fast": 5]], "grid": ["slow": [1, 2]], "cache": "off"])
        XCTAssertEqual(runs.count, 4)
        let done = try waitForSweep(s, id, ended: 4)["params"]
        XCTAssertEqual(done["failed"].intValue, 2, "fast 13 fails: \(done)")
        let again = try s.result("rerun", ["sweep_id": .string(id), "only": "failed"])
        let rerun = again["run_ids"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(rerun.count, 2)
        for r in rerun { try waitForEnd(s, r) }
        XCTAssertEqual(rerun.map { ws.record($0)?["sweep_id"].stringValue }, [id, id])
        XCTAssertEqual(try s.result("status", ["sweep_id": .string(id)])["total"].intValue, 6, "reruns belong to the sweep")
    }

    func testTheCacheAnswersWithoutRunningAndMissesOnAChangedModuleOrInputByte() throws {
        try makeWorkspace()
        let s = try ws.server()
        let grid: JSONObject = ["grid": ["fast": [1, 2], "slow": [7]]]
        let first = try sweep(s, grid)
        _ = try waitForSweep(s, first.id, ended: 2)
        XCTAssertEqual(executions().count, 2)

        // Same code, params and input: answered from the cache, nothing runs.
        let second = try sweep(s, grid)
        _ = try waitForSweep(s, second.id, ended: 2)
        XCTAssertEqual(executions().count, 2, "a cache hit must not start the script")
        for (new, old) in zip(second.runs, first.runs) {
            let r = ws.record(new)
            XCTAssertEqual(r?["status"], "completed")
            XCTAssertEqual(r?["cached_from"].stringValue, old)
            XCTAssertEqual(ws.read(new, "results/score.txt"), ws.read(old, "results/score.txt"))
        }

        // One byte of an imported module: a miss.
        try ws.write("helper.py", "FACTOR = 3\n")
        let third = try sweep(s, grid)
        _ = try waitForSweep(s, third.id, ended: 2)
        XCTAssertEqual(executions().count, 4)
        XCTAssertNil(ws.record(third.runs[0])?["cached_from"].stringValue)
        XCTAssertEqual(ws.read(third.runs[1], "results/score.txt"), "6")

        // One byte of an input file: a miss.
        try ws.write("data.csv", "x\n2\n")
        let fourth = try sweep(s, grid)
        _ = try waitForSweep(s, fourth.id, ended: 2)
        XCTAssertEqual(executions().count, 6)

        // `run` does not look by default; `cache: reuse` does.
        let plain = try s.startRun("strat.py", params: ["fast": 1, "slow": 7], extra: ["profile": "none", "inputs": ["data.csv"]])
        try s.waitForStatus(plain, "completed")
        XCTAssertEqual(executions().count, 7)
        let reused = try s.startRun("strat.py", params: ["fast": 1, "slow": 7],
                                    extra: ["profile": "none", "inputs": ["data.csv"], "cache": "reuse"])
        try s.waitForStatus(reused, "completed")
        XCTAssertEqual(executions().count, 7)
        XCTAssertEqual(ws.record(reused)?["cached_from"].stringValue, fourth.runs[0])

        // Deleting the run an entry points at drops the entry: the next reuse runs.
        XCTAssertEqual(try s.result("delete", ["run_ids": [.string(fourth.runs[0]), .string(reused)]])["deleted"].arrayValue?.count, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: ws.runDir(fourth.runs[0])))
        XCTAssertEqual(try s.request("status", ["run_id": .string(reused)])["error"]["code"].intValue, 2001)
        let after = try s.startRun("strat.py", params: ["fast": 1, "slow": 7],
                                   extra: ["profile": "none", "inputs": ["data.csv"], "cache": "reuse"])
        try s.waitForStatus(after, "completed")
        XCTAssertEqual(executions().count, 8)
    }

    func testCancelStopsASweepAndDeleteRefusesActiveRuns() throws {
        try makeWorkspace(maxParallel: 1)
        try ws.write("wait.py", "import time\nprint('waiting', flush=True)\ntime.sleep(60)\n")
        let s = try ws.server()
        let r = try s.result("sweep", ["script": "wait.py", "profile": "none", "grid": ["n": [1, 2, 3, 4]]])
        let id = r["sweep_id"].stringValue ?? ""
        let runs = r["run_ids"].arrayValue?.compactMap(\.stringValue) ?? []
        try s.waitForStatus(runs[0], "running")
        let refused = try s.request("delete", ["run_ids": .array(runs.map(JSONValue.string))])
        XCTAssertEqual(refused["error"]["code"].intValue, 2014, "\(refused)")
        XCTAssertTrue(refused["error"]["data"]["run_ids"].arrayValue?.contains(.string(runs[0])) ?? false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ws.runDir(runs[0])), "a refused delete deletes nothing")

        _ = try s.result("cancel", ["sweep_id": .string(id)])
        let done = try waitForSweep(s, id, ended: 4)["params"]
        XCTAssertEqual(done["cancelled"].intValue, 4, "\(done)")
        XCTAssertEqual(try s.result("status", ["run_id": .string(runs[3])])["status"], "cancelled")

        // Tags and note after the fact.
        let tagged = try s.result("tag", ["run_id": .string(runs[0]), "add": ["keep", "nightly"], "note": "slow one"])
        XCTAssertEqual(tagged["tags"], ["keep", "nightly"])
        let untagged = try s.result("tag", ["run_id": .string(runs[0]), "remove": ["nightly"]])
        XCTAssertEqual(untagged["tags"], ["keep"])
        XCTAssertEqual(untagged["note"], "slow one")
        XCTAssertEqual(ws.record(runs[0])?["tags"], ["keep"])

        let deleted = try s.result("delete", ["sweep_id": .string(id)])
        XCTAssertEqual(deleted["deleted"].arrayValue?.count, 4)
    }
}
