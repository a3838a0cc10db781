@testable import BacktestCore
import Glibc
import JSON
import Synchronization
import XCTest

/// Following runs live: every line before the terminal status, statuses in order, progress, runs of
/// other workspaces (processes) picked up by a follower of all runs.
final class WorkspaceFollowTests: XCTestCase {
    var roots: [String] = []

    override func setUpWithError() throws {
        guard access(WorkspaceTestSupport.binary, X_OK) == 0 else {
            throw XCTSkip("build the binary first (swift build): \(WorkspaceTestSupport.binary)")
        }
    }

    override func tearDown() { for r in roots { WorkspaceTestSupport.remove(r) } }

    /// Events of one follower, with a check of the per-run ordering rules as they arrive.
    final class Recorder: Sendable {
        struct State {
            var lines: [String: [LogLine]] = [:]
            var statuses: [String: [(RunStatus, RunStatus?)]] = [:]
            var progress: [String: [BacktestCore.Progress]] = [:]
            var violations: [String] = []
            var largestBatch = 0
        }
        let state = Mutex(State())

        func handle(_ e: RunEvent) {
            state.withLock { s in
                switch e {
                case .lines(let id, let lines):
                    if s.statuses[id]?.last?.0.isTerminal == true { s.violations.append("lines after the terminal status of \(id)") }
                    s.largestBatch = max(s.largestBatch, lines.count)
                    s.lines[id, default: []] += lines
                case .status(let r, let previous):
                    s.statuses[r.runID, default: []].append((r.status, previous))
                case .progress(let id, let p):
                    s.progress[id, default: []].append(p)
                }
            }
        }

        func ended(_ id: String) -> Bool { state.withLock { $0.statuses[id]?.last?.0.isTerminal == true } }

        func waitEnded(_ id: String, within: Double = 30) -> Bool {
            WorkspaceTestSupport.eventually(within: within) { self.ended(id) }
        }
    }

    static let flood = """
        import sys
        n = int(sys.argv[sys.argv.index("--lines") + 1])
        for i in range(n):
            if i == n // 2:
                print("progress: 50%")
            print("line %d" % i)
        print("Processing day 9/10", file=sys.stderr)
        """

    private func workspace(_ scripts: [String: String]) throws -> Workspace {
        let root = try WorkspaceTestSupport.makeRoot(config: WorkspaceTestSupport.lenient([:]))
        roots.append(root)
        for (name, text) in scripts { try WorkspaceTestSupport.writeScript(root, name, text) }
        return try Workspace(root: root, supervisorExecutable: WorkspaceTestSupport.binary)
    }

    private func checkComplete(_ rec: Recorder, _ id: String, lines n: Int, file: StaticString = #filePath, line: UInt = #line) {
        rec.state.withLock { s in
            XCTAssertEqual(s.violations, [], file: file, line: line)
            let got = s.lines[id] ?? []
            XCTAssertEqual(got.count, n, file: file, line: line)
            XCTAssertEqual(got.map(\.seq), Array(0..<got.count), "lines missing or out of order", file: file, line: line)
            XCTAssertLessThanOrEqual(s.largestBatch, RunFollower.batchSize, file: file, line: line)
            // queued → running → (validating, when a look fell in it) → completed, each naming the one before.
            let st = s.statuses[id] ?? []
            XCTAssertEqual(st.map(\.0).filter { $0 != .validating }, [.running, .completed], file: file, line: line)
            XCTAssertEqual(st.map(\.1), [RunStatus.queued] + st.dropLast().map(\.0), file: file, line: line)
        }
    }

    /// The follower of the submitting workspace (the runs a client started) and a follower of all runs in
    /// a second workspace (another server) both get every line, in order, before the terminal status.
    func testEveryLineBeforeTheTerminalStatus() throws {
        let ws = try workspace(["flood.py": Self.flood])
        let other = try Workspace(root: ws.config.root, supervisorExecutable: WorkspaceTestSupport.binary)
        let mine = Recorder(), all = Recorder()
        let token = ws.follow(runIDs: [], handler: { mine.handle($0) })
        _ = other.follow(runIDs: nil, handler: { all.handle($0) })
        let r = try ws.submit(RunRequest(script: "flood.py", params: ["lines": 30000]))
        ws.addRun(r.runID, to: token)
        XCTAssertTrue(mine.waitEnded(r.runID), "no terminal status")
        XCTAssertTrue(all.waitEnded(r.runID), "the follower of all runs did not see the run end")
        checkComplete(mine, r.runID, lines: 30002)
        checkComplete(all, r.runID, lines: 30002)
        // stdout and stderr are two pipes: each keeps its own order, but which of them the supervisor reads
        // first is not defined, so the stderr line is looked for, not expected last.
        let lines = mine.state.withLock { $0.lines[r.runID]! }
        XCTAssertEqual(lines.filter { $0.stream == .stdout }.map(\.text).filter { $0.hasPrefix("line ") },
                       (0..<30000).map { "line \($0)" })
        XCTAssertEqual(lines.filter { $0.stream == .stderr }.map(\.text), ["Processing day 9/10"])
        let progress: [BacktestCore.Progress] = mine.state.withLock { $0.progress[r.runID] ?? [] }
        XCTAssertTrue(progress.contains { $0.current == 9 && $0.total == 10 }, "the last line's progress was not reported")
        XCTAssertLessThanOrEqual(progress.count, 30)
    }

    /// A run that ended before anyone followed it is followed from its beginning: all its lines, then the
    /// statuses it went through.
    func testFollowingARunThatAlreadyEnded() throws {
        let ws = try workspace(["flood.py": Self.flood])
        let r = try ws.submit(RunRequest(script: "flood.py", params: ["lines": 100]))
        XCTAssertTrue(WorkspaceTestSupport.eventually { (try? ws.record(runID: r.runID))?.status.isTerminal == true })
        let rec = Recorder()
        let token = ws.follow(runIDs: [], handler: { rec.handle($0) })
        ws.addRun(r.runID, to: token)
        XCTAssertTrue(rec.waitEnded(r.runID))
        checkComplete(rec, r.runID, lines: 102)
        ws.unfollow(token)
    }

    /// `.now` follows a run under way from its current end: no old lines, later ones all.
    func testFollowingFromNow() throws {
        let ws = try workspace(["slow.py": """
            import sys, time
            for i in range(40):
                print("tick %d" % i, flush=True)
                time.sleep(0.02)
            """])
        let r = try ws.submit(RunRequest(script: "slow.py"))
        XCTAssertTrue(WorkspaceTestSupport.eventually { ((try? ws.logs(runID: r.runID).totalLines) ?? 0) >= 5 })
        let rec = Recorder()
        _ = ws.follow(runIDs: [r.runID], from: .now, handler: { rec.handle($0) })
        XCTAssertTrue(rec.waitEnded(r.runID))
        rec.state.withLock { s in
            let seqs = (s.lines[r.runID] ?? []).map(\.seq)
            XCTAssertGreaterThanOrEqual(seqs.first ?? 0, 5)
            XCTAssertEqual(seqs.last, 39)
            XCTAssertEqual(seqs, Array((seqs.first ?? 0)...39))
            XCTAssertEqual(s.statuses[r.runID]?.map(\.0).filter { $0 != .validating }, [.completed])
        }
    }

    func testLogsPages() throws {
        let ws = try workspace(["flood.py": Self.flood])
        let r = try ws.submit(RunRequest(script: "flood.py", params: ["lines": 5000]))
        XCTAssertTrue(WorkspaceTestSupport.eventually { (try? ws.record(runID: r.runID))?.status.isTerminal == true })
        var p = try ws.logs(runID: r.runID, tail: 3)
        XCTAssertEqual(p.lines.map(\.seq), [4999, 5000, 5001])
        XCTAssertEqual(p.totalLines, 5002)
        XCTAssertEqual(p.nextSeq, 5002)
        XCTAssertTrue(p.complete)
        p = try ws.logs(runID: r.runID, afterSeq: 99, limit: 10)
        XCTAssertEqual(p.lines.map(\.seq), Array(100..<110))
        XCTAssertEqual(p.nextSeq, 110)
        XCTAssertFalse(p.complete)
        p = try ws.logs(runID: r.runID, stream: .stderr)
        XCTAssertEqual(p.lines.map(\.text), ["Processing day 9/10"])
        XCTAssertEqual(p.nextSeq, 5002)
        XCTAssertTrue(p.complete)
        p = try ws.logs(runID: r.runID, afterSeq: 6000)
        XCTAssertEqual(p.lines, [])
        XCTAssertTrue(p.complete)
    }
}
