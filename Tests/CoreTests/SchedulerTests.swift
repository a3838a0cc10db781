@testable import BacktestCore
import Base
import Foundation
import Glibc
import JSON
import Synchronization
import XCTest

/// Runs through real supervisors (the built `backtest-rpc` binary): completion, the workspace-wide
/// max_parallel budget across workspaces and processes, queued runs outliving their submitter, cancel,
/// interrupted detection.
final class WorkspaceSchedulingTests: XCTestCase {
    var roots: [String] = []

    override func setUpWithError() throws {
        guard access(WorkspaceTestSupport.binary, X_OK) == 0 else {
            throw XCTSkip("build the binary first (swift build): \(WorkspaceTestSupport.binary)")
        }
    }

    override func tearDown() {
        for r in roots { WorkspaceTestSupport.remove(r) }
    }

    /// A workspace with `config` and the given scripts; the tick is fast so the safety net is not what
    /// the tests wait for.
    private func workspace(_ config: JSONObject = [:], scripts: [String: String] = [:],
                           tick: Double = Workspace.defaultTickInterval) throws -> Workspace {
        let root = try WorkspaceTestSupport.makeRoot(config: WorkspaceTestSupport.lenient(config))
        roots.append(root)
        for (name, text) in scripts { try WorkspaceTestSupport.writeScript(root, name, text) }
        return try Workspace(root: root, supervisorExecutable: WorkspaceTestSupport.binary, tickInterval: tick)
    }

    private func final(_ ws: Workspace, _ id: String, within: Double = 30) -> RunRecord? {
        var r: RunRecord?
        WorkspaceTestSupport.eventually(within: within) {
            r = try? ws.record(runID: id)
            return r?.status.isTerminal == true
        }
        return r?.status.isTerminal == true ? r : nil
    }

    func testRunCompletesWithItsEnvironmentAndLog() throws {
        let ws = try workspace(["env": ["FROM_CONFIG": "yes"]], scripts: ["hello.py": """
            import os, sys
            print("hello", sys.argv[1:])
            print("to stderr", file=sys.stderr)
            open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "env.txt"), "w").write(
                os.environ["BACKTEST_RUN_ID"] + " " + os.environ["FROM_CONFIG"] + " " + os.environ["MINE"] + " " + os.getcwd())
            """])
        let r = try ws.submit(RunRequest(script: "hello.py", params: ["n": 3], env: ["MINE": "m"]))
        guard let done = final(ws, r.runID) else { return XCTFail("the run did not end") }
        XCTAssertEqual(done.status, .completed, "\(done.json())")
        XCTAssertEqual(done.exitCode, 0)
        XCTAssertNotNil(done.startedAt)
        XCTAssertEqual(SupervisorTestSupport.read(r.outputDir + "/env.txt"), "\(r.runID) yes m \(ws.config.scriptsDir)")
        let page = try ws.logs(runID: r.runID)
        XCTAssertEqual(page.lines.map(\.text), ["hello ['--n', '3', '--output_dir', '\(r.outputDir)']", "to stderr"])
        XCTAssertEqual(page.lines.map(\.stream), [.stdout, .stderr])
        XCTAssertEqual(page.totalLines, 2)
        XCTAssertEqual(page.nextSeq, 2)
        XCTAssertTrue(page.complete)
        XCTAssertEqual(try ws.list(status: [.completed]).runs.map(\.runID), [r.runID])
        XCTAssertEqual(WorkspaceTestSupport.coreError { try ws.cancel(runID: r.runID) }, .runFinished(runID: r.runID, status: .completed))
    }

    /// Writes its start and end time (epoch seconds) into its results dir.
    static let timedScript = """
        import os, sys, time
        s = time.time()
        time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]) if "--sleep" in sys.argv else 0.01)
        open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "t"), "w").write("%.6f %.6f" % (s, time.time()))
        """

    /// The most intervals that overlap at any instant (an end and a start at the same instant do not).
    static func maxOverlap(_ intervals: [(Double, Double)]) -> Int {
        var events: [(at: Double, delta: Int)] = []
        for (start, end) in intervals { events.append((start, 1)); events.append((end, -1)) }
        events.sort { a, b in a.at != b.at ? a.at < b.at : a.delta < b.delta }
        var now = 0, most = 0
        for e in events { now += e.delta; most = max(most, now) }
        return most
    }

    /// 200 runs queued at once from two workspaces of this process and a server process, max_parallel 2:
    /// all complete, ids distinct, never more than 2 at once (by the records' start/end and by what the
    /// scripts themselves saw).
    func testTwoHundredRunsFromThreeSubmittersShareTwoSlots() throws {
        // A fast tick in this process: the pass at a run's end is the supervisor's (see the next test);
        // this one is about the budget.
        let ws1 = try workspace(["max_parallel": 2], scripts: ["timed.py": Self.timedScript], tick: 0.05)
        let ws2 = try Workspace(root: ws1.config.root, supervisorExecutable: WorkspaceTestSupport.binary, tickInterval: 0.05)
        // The third submitter: a server process fed 60 run requests on stdin (it exits once they ended).
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        guard case .success(let server) = ProcessSpawner.spawn(
            executable: WorkspaceTestSupport.binary, argv: ["backtest-rpc", "--workspace", ws1.config.root],
            environment: ProcessEnvironment.current(), cwd: "/", stdin: fds[0])
        else { return XCTFail("cannot start the server") }
        close(fds[0])
        var requests = ""
        for i in 0..<60 { requests += "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"run\",\"params\":{\"script\":\"timed.py\",\"tags\":[\"server\"]}}\n" }
        let bytes = Array(requests.utf8)
        let serverFD = fds[1]
        let feeder = Thread { bytes.withUnsafeBytes { _ = AtomicFile.writeAll(serverFD, $0) }; close(serverFD) }
        feeder.start()
        let ids = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let ws = k == 0 ? ws1 : ws2
            for _ in 0..<70 {
                if let r = try? ws.submit(RunRequest(script: "timed.py")) { ids.withLock { $0.append(r.runID) } }
            }
        }
        XCTAssertEqual(ids.withLock { $0.count }, 140)
        var page: (total: Int, runs: [RunRecord]) = (0, [])
        let ended = WorkspaceTestSupport.eventually(within: 120) {
            page = (try? ws1.list(limit: 1000)) ?? (0, [])
            return page.total == 200 && page.runs.allSatisfy { $0.status.isTerminal }
        }
        XCTAssertTrue(ended, "\(page.total) runs, \(page.runs.filter { !$0.status.isTerminal }.count) not ended")
        XCTAssertEqual(Set(page.runs.map(\.runID)).count, 200)
        XCTAssertTrue(Set(ids.withLock { $0 }).isSubset(of: Set(page.runs.map(\.runID))))
        XCTAssertEqual(page.runs.filter { $0.tags == ["server"] }.count, 60)
        XCTAssertEqual(page.runs.filter { $0.status == .completed }.count, 200,
                       "\(page.runs.filter { $0.status != .completed }.map { $0.json() }.prefix(3))")
        let fromRecords = page.runs.compactMap { r in r.startedAt.flatMap { s in r.completedAt.map { (Double(s), Double($0)) } } }
        XCTAssertEqual(fromRecords.count, 200)
        XCTAssertLessThanOrEqual(Self.maxOverlap(fromRecords), 2)
        let fromScripts = page.runs.compactMap { r -> (Double, Double)? in
            let parts = SupervisorTestSupport.read(r.outputDir + "/t")?.split(separator: " ").compactMap { Double($0) } ?? []
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        XCTAssertEqual(fromScripts.count, 200)
        XCTAssertLessThanOrEqual(Self.maxOverlap(fromScripts), 2)
        XCTAssertEqual(Self.maxOverlap(fromScripts + [(0, 1e12)]) - 1, Self.maxOverlap(fromScripts), "sanity")
        XCTAssertNotNil(SupervisorTestSupport.waitExit(server, within: 30), "the server did not exit after its runs")
    }

    /// Queued runs start when slots free up although the workspace that queued them is gone: the pass at
    /// the end of each run (in its supervisor) starts the next.
    func testQueuedRunsStartAfterTheirWorkspaceIsGone() throws {
        var ws: Workspace? = try workspace(["max_parallel": 1], scripts: ["timed.py": Self.timedScript])
        let store = ws!.store
        var ids: [String] = []
        for _ in 0..<3 { ids.append(try ws!.submit(RunRequest(script: "timed.py", params: ["sleep": 0.2])).runID) }
        ws = nil
        var records: [RunRecord] = []
        let ended = WorkspaceTestSupport.eventually(within: 30) {
            records = ids.compactMap { try? store.load(runID: $0) }
            return records.count == 3 && records.allSatisfy { $0.status.isTerminal }
        }
        XCTAssertTrue(ended, "\(records.map { $0.status })")
        XCTAssertEqual(records.map(\.status), [.completed, .completed, .completed])
        // In submission order, one at a time.
        for (a, b) in zip(records, records.dropFirst()) {
            XCTAssertLessThanOrEqual(a.completedAt ?? .max, b.startedAt ?? 0)
        }
        // With nobody else to run a pass, the first run's supervisor took each next run itself.
        XCTAssertEqual(Set(records.map(\.supervisorPID)).count, 1, "\(records.map(\.supervisorPID))")
    }

    /// The end-of-run pass that keeps one: the oldest queued run comes back with its slot and run locks
    /// held, its queue entry gone and its record still queued; the next queued run gets a supervisor of its
    /// own in the other free slot.
    func testPassKeepingOneHandsBackTheOldestRunWithItsLocks() throws {
        // The runs are queued by a workspace that is then gone (its passes and its tick with it), so that the
        // pass below is the only one that can claim them.
        var submitter: Workspace? = try workspace(["max_parallel": 2], scripts: ["timed.py": Self.timedScript])
        let layout = submitter!.layout
        let slots = (0..<2).compactMap { FileLock.tryAcquire(layout.slotLock($0)) }  // every slot busy
        XCTAssertEqual(slots.count, 2)
        let ids = try (0..<3).map { _ in try submitter!.submit(RunRequest(script: "timed.py")).runID }
        submitter!.waitForStartupWork()
        weak var gone = submitter
        submitter = nil
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 10) { gone == nil })
        slots.forEach { $0.close() }
        guard let kept = Scheduler.passAfterRunEnded(layout: layout, supervisorExecutable: WorkspaceTestSupport.binary,
                                                     keepingOne: true)
        else { return XCTFail("nothing was kept") }
        XCTAssertEqual(kept.paths.runID, ids[0])
        XCTAssertNil(FileLock.tryAcquire(layout.run(ids[0]).lock), "the run lock is held by the kept files")
        XCTAssertFalse(FileSystem.exists(layout.queueEntry(ids[0])))
        // The second ran in the other slot, and the third after it in that slot (the kept run holds its own).
        let ws = try Workspace(root: layout.root, supervisorExecutable: WorkspaceTestSupport.binary)
        for id in ids.dropFirst() {
            guard let r = final(ws, id) else { return XCTFail("\(id) did not end") }
            XCTAssertEqual(r.status, .completed)
        }
        XCTAssertEqual(try ws.record(runID: ids[0]).status, .queued, "nobody else started the kept run")
        kept.slot.close(); kept.runLock.close()
    }

    func testCancelQueuedRun() throws {
        let ws = try workspace(["max_parallel": 1], scripts: ["timed.py": Self.timedScript])
        let slot = FileLock.tryAcquire(ws.layout.slotLock(0))  // the only slot is busy
        XCTAssertNotNil(slot)
        let r = try ws.submit(RunRequest(script: "timed.py"))
        let c = try ws.cancel(runID: r.runID)
        XCTAssertEqual(c.status, .cancelled)
        XCTAssertNotNil(c.completedAt)
        XCTAssertFalse(FileSystem.exists(ws.layout.queueEntry(r.runID)))
        XCTAssertEqual(try ws.record(runID: r.runID).status, .cancelled)
        XCTAssertEqual(try ws.list(status: [.cancelled]).total, 1)
        slot?.close()
        XCTAssertEqual(ws.schedulePass(), [])
        XCTAssertEqual(try ws.record(runID: r.runID).status, .cancelled)
        XCTAssertEqual(WorkspaceTestSupport.coreError { try ws.cancel(runID: r.runID) }, .runFinished(runID: r.runID, status: .cancelled))
    }

    /// Cancel of a running run stops the script and its child; the supervisor writes `cancelled`.
    func testCancelRunningRun() throws {
        let ws = try workspace(["kill_grace_s": 1], scripts: ["tree.py": """
            import os, subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "child"), "w").write(str(child.pid))
            print("ready", flush=True)
            time.sleep(60)
            """])
        let r = try ws.submit(RunRequest(script: "tree.py"))
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 20) { (try? ws.logs(runID: r.runID).totalLines) == 1 })
        let running = try ws.record(runID: r.runID)
        XCTAssertEqual(running.status, .running)
        let child = pid_t(SupervisorTestSupport.read(r.outputDir + "/child") ?? "") ?? 0
        XCTAssertGreaterThan(child, 0)
        XCTAssertEqual(try ws.cancel(runID: r.runID).status, .running, "the supervisor writes cancelled itself")
        guard let done = final(ws, r.runID, within: 15) else { return XCTFail("not cancelled") }
        XCTAssertEqual(done.status, .cancelled)
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 5) { !SupervisorTestSupport.processAlive(child) })
        XCTAssertFalse(ProcessGroup.isAlive(pgid: Int32(running.pid ?? 0)) && ProcessGroup.members(pgid: Int32(running.pid ?? 0))
            .contains(where: SupervisorTestSupport.processAlive))
    }

    /// SIGKILL of a supervisor: the next look at the run (a lock, not a clock) ends it as interrupted and
    /// kills what was left of its process group.
    func testDeadSupervisorMeansInterrupted() throws {
        let ws = try workspace(scripts: ["sleeper.py": "import time\nprint('ready', flush=True)\ntime.sleep(60)\n"])
        let r = try ws.submit(RunRequest(script: "sleeper.py"))
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 20) { (try? ws.logs(runID: r.runID).totalLines) == 1 })
        let running = try ws.record(runID: r.runID)
        guard let spid = running.supervisorPID, let pid = running.pid else { return XCTFail("no pids: \(running.json())") }
        XCTAssertEqual(running.status, .running)
        XCTAssertEqual(kill(pid_t(spid), SIGKILL), 0)
        var r2 = running
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 5) {
            r2 = (try? ws.record(runID: r.runID)) ?? running
            return r2.status != .running
        })
        XCTAssertEqual(r2.status, .failed)
        XCTAssertEqual(r2.failure, .interrupted)
        XCTAssertTrue(r2.errorMessage?.contains("supervisor") == true, r2.errorMessage ?? "")
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 5) { !SupervisorTestSupport.processAlive(pid_t(pid)) })
        XCTAssertEqual(try ws.store.load(runID: r.runID).failure, .interrupted)
        XCTAssertEqual(try ws.list(status: [.failed]).runs.first?.failure, .interrupted)
    }

    /// A queued record whose supervisor died before writing anything (claimed: no queue entry, lock free).
    /// A claim whose claimer died before any supervisor began the run (no log yet: a supervisor makes it
    /// before it starts the script) puts the run back in the queue; one a supervisor began is interrupted.
    func testClaimedRunWithoutSupervisorIsRequeuedUnlessItBegan() throws {
        let ws = try workspace(["max_parallel": 1], scripts: ["timed.py": Self.timedScript])
        let slot = FileLock.tryAcquire(ws.layout.slotLock(0))
        let never = try ws.submit(RunRequest(script: "timed.py"))
        let began = try ws.submit(RunRequest(script: "timed.py"))
        for r in [never, began] { unlink(ws.layout.queueEntry(r.runID)) }  // as a claim does, but no supervisor follows
        XCTAssertTrue(FileManager.default.createFile(atPath: ws.layout.run(began.runID).log, contents: nil))
        let requeued = try ws.record(runID: never.runID)
        XCTAssertEqual(requeued.status, .queued)
        XCTAssertTrue(FileSystem.exists(ws.layout.queueEntry(never.runID)), "back in the queue")
        let seen = try ws.record(runID: began.runID)
        XCTAssertEqual(seen.status, .failed)
        XCTAssertEqual(seen.failure, .interrupted)
        slot?.close()
        guard let done = final(ws, never.runID) else { return XCTFail("the requeued run did not run") }
        XCTAssertEqual(done.status, .completed)
    }

    func testUpdateAmendsEndedRunsOnly() throws {
        let ws = try workspace(["max_parallel": 1], scripts: ["timed.py": Self.timedScript])
        let slot = FileLock.tryAcquire(ws.layout.slotLock(0))
        let r = try ws.submit(RunRequest(script: "timed.py"))
        XCTAssertThrowsError(try ws.update(runID: r.runID) { $0.note = "x" }) {
            XCTAssertEqual($0 as? CoreError, .runNotFinished(runID: r.runID, status: .queued))
        }
        _ = try ws.cancel(runID: r.runID)
        let u = try ws.update(runID: r.runID) { $0.warnings.append("checked") }
        XCTAssertEqual(u.warnings, ["checked"])
        XCTAssertEqual(try ws.record(runID: r.runID).warnings, ["checked"])
        XCTAssertEqual(try ws.list().runs.first?.warnings, ["checked"])
        slot?.close()
    }
}
