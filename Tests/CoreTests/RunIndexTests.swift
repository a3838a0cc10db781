@testable import BacktestCore
import Base
import Dispatch
import Glibc
import JSON
import XCTest

/// The SQLite index behind `list`: filters, paging, order, and rebuilding from run.json files.
final class WorkspaceRunIndexTests: XCTestCase {
    /// 300 records: statuses cycle, two scripts, tags on some; ids in creation order.
    private func populate(_ layout: WorkspaceLayout, _ index: RunIndex) -> [RunRecord] {
        let statuses: [RunStatus] = [.completed, .failed, .cancelled, .completed, .running, .queued]
        let base: Int64 = 1_800_000_000_000
        var records: [RunRecord] = []
        for i in 0..<300 {
            let t = base + Int64(i) * 1000
            records.append(WorkspaceTestSupport.record(layout, id: ISOTime.runIDStem(millis: t), status: statuses[i % 6],
                                                       script: i % 2 == 0 ? "a.py" : "dir/b.py",
                                                       tags: i % 10 == 0 ? ["nightly", "x"] : (i % 10 == 1 ? ["nightlyish"] : []),
                                                       createdAt: t))
        }
        index.upsert(records)
        return records
    }

    func testFiltersPagingAndOrder() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try? FileSystem.makeDirectories(layout.stateDir)
        let index = try RunIndex(path: layout.index)
        XCTAssertTrue(index.wasRebuilt)
        let all = populate(layout, index)
        let ids = all.map(\.runID)

        var page = try index.query(RunQuery())
        XCTAssertEqual(page.total, 300)
        XCTAssertEqual(page.runs.map(\.runID), Array(ids.reversed().prefix(50)))
        XCTAssertEqual(page.runs.first, all.last)

        page = try index.query(RunQuery(limit: 20, offset: 290, ascending: true))
        XCTAssertEqual(page.runs.map(\.runID), Array(ids[290...]))

        page = try index.query(RunQuery(statuses: [.completed, .cancelled], limit: 1000))
        XCTAssertEqual(page.total, 150)
        XCTAssertTrue(page.runs.allSatisfy { $0.status == .completed || $0.status == .cancelled })

        page = try index.query(RunQuery(script: "dir/b.py", limit: 1000))
        XCTAssertEqual(page.total, 150)
        XCTAssertEqual(try index.query(RunQuery(script: "b.py")).total, 0)

        page = try index.query(RunQuery(tag: "nightly", limit: 1000))
        XCTAssertEqual(page.total, 30, "a tag matches whole tags only (not nightlyish)")
        XCTAssertTrue(page.runs.allSatisfy { $0.tags.contains("nightly") })

        let since = all[100].createdAt, until = all[199].createdAt
        page = try index.query(RunQuery(sinceMillis: since, untilMillis: until, limit: 1000, ascending: true))
        XCTAssertEqual(page.runs.map(\.runID), Array(ids[100...199]))

        page = try index.query(RunQuery(statuses: [.failed], script: "dir/b.py", tag: "nightly", limit: 1000))
        XCTAssertEqual(page.runs.map(\.runID), all.filter { $0.status == .failed && $0.script == "dir/b.py" && $0.tags.contains("nightly") }.map(\.runID))

        XCTAssertEqual(try index.query(RunQuery(statuses: [])).total, 0)
        page = try index.query(RunQuery(offset: 5000))
        XCTAssertEqual(page.total, 300)
        XCTAssertEqual(page.runs, [])

        // An update replaces the row.
        var changed = all[0]
        changed.status = .failed
        changed.tags = ["late"]
        index.upsert(changed)
        XCTAssertEqual(try index.query(RunQuery(tag: "late")).runs, [changed])
        XCTAssertEqual(try index.query(RunQuery()).total, 300)
        XCTAssertEqual(try index.statusCounts()[.queued], 50)
    }

    /// The index is a cache: missing, corrupt or stale, the workspace puts it right from the run.json files.
    func testRebuildAndReconcileFromRunFiles() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try? FileSystem.makeDirectories(layout.stateDir)
        let store = RunStore(layout: layout, index: nil)
        var ids: [String] = []
        for i in 0..<40 {
            let t: Int64 = 1_800_000_000_000 + Int64(i)
            let r = WorkspaceTestSupport.record(layout, id: ISOTime.runIDStem(millis: t), status: .completed, createdAt: t)
            mkdir(r.runDir, 0o755)
            try store.save(r)
            ids.append(r.runID)
        }
        // No index yet: the workspace builds it.
        var ws: Workspace? = try Workspace(root: root, supervisorExecutable: "/bin/false")
        XCTAssertEqual(try ws!.list(limit: 100).runs.map(\.runID), ids.reversed())
        ws = nil

        // Garbage instead of a database.
        unlink(layout.index + "-wal"); unlink(layout.index + "-shm")
        try AtomicFile.write(Array(repeating: 0x41, count: 10000), to: layout.index)
        ws = try Workspace(root: root, supervisorExecutable: "/bin/false")
        XCTAssertEqual(try ws!.list(limit: 100).total, 40)
        XCTAssertTrue(ws!.index.wasRebuilt)
        ws = nil

        // A run dir deleted by hand and one added behind the index's back.
        let gone = ids.removeFirst()
        WorkspaceTestSupport.remove(layout.runsDir + "/" + gone)
        let t: Int64 = 1_800_000_100_000
        let extra = WorkspaceTestSupport.record(layout, id: ISOTime.runIDStem(millis: t), status: .failed, createdAt: t)
        mkdir(extra.runDir, 0o755)
        try store.save(extra)
        ids.append(extra.runID)
        ws = try Workspace(root: root, supervisorExecutable: "/bin/false")
        XCTAssertFalse(ws!.index.wasRebuilt)
        // An index that was kept is reconciled in the background, right after the workspace opens.
        let opened = ws!, expected = Array(ids.reversed())
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 10) {
            (try? opened.list(limit: 100).runs.map(\.runID)) == expected
        }, "the index was not reconciled with the run dirs")
    }

    /// A row refreshed from a run.json read a moment before its owner wrote a newer one must not win, and
    /// the filterable columns and the record JSON never disagree, even with two connections at once.
    func testOlderVersionsAndLowerStatusesNeverWin() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try? FileSystem.makeDirectories(layout.stateDir)
        let a = try RunIndex(path: layout.index), b = try RunIndex(path: layout.index)
        var r = WorkspaceTestSupport.record(layout, id: "20300101_000000_000", status: .running, createdAt: 1_000)
        a.upsert([(r, 100)])
        r.status = .completed
        a.upsert([(r, 200)])
        var stale = r
        stale.status = .running
        b.upsert([(stale, 150)])  // read before the completed write
        XCTAssertEqual(try a.query(RunQuery()).runs.first?.status, .completed)
        stale.status = .validating
        b.upsert([(stale, 200)])  // same mtime tick: the status must not go back
        XCTAssertEqual(try a.query(RunQuery()).runs.first?.status, .completed)
        XCTAssertEqual(try a.query(RunQuery(statuses: [.completed])).total, 1)

        // Two connections racing on one row: both tables always end on the same, latest state.
        for round in 0..<50 {
            let base = Int64(1000 + round * 10)
            var x = r, y = r
            x.status = .validating
            y.status = .failed
            y.errorMessage = "round \(round)"
            let (fx, fy) = (x, y)
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                if k == 0 { a.upsert([(fx, base)]) } else { b.upsert([(fy, base)]) }
            }
            let row = try a.query(RunQuery()).runs.first
            XCTAssertEqual(row?.status, .failed)
            XCTAssertEqual(row?.errorMessage, "round \(round)")
            XCTAssertEqual(try a.query(RunQuery(statuses: [.failed])).total, 1, "the status column disagrees with the record")
        }
    }

    /// Another process replaced a broken index: an open workspace notices, reopens and fills it again.
    func testAReplacedIndexIsReopenedAndRefilled() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try? FileSystem.makeDirectories(layout.stateDir)
        let store = RunStore(layout: layout, index: nil)
        for i in 0..<5 {
            let t: Int64 = 1_800_000_000_000 + Int64(i)
            let r = WorkspaceTestSupport.record(layout, id: ISOTime.runIDStem(millis: t), status: .completed, createdAt: t)
            mkdir(r.runDir, 0o755)
            try store.save(r)
        }
        let ws = try Workspace(root: root, supervisorExecutable: "/bin/false", tickInterval: 0.05)
        XCTAssertEqual(try ws.list().total, 5)
        for suffix in ["", "-wal", "-shm"] { unlink(layout.index + suffix) }
        _ = try RunIndex(path: layout.index)  // the other process's fresh, empty index
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 5) {
            (try? RunIndex(path: layout.index).query(RunQuery()).total) == 5
        }, "the new file was not refilled")
        XCTAssertEqual(try ws.list().total, 5)
    }
}
