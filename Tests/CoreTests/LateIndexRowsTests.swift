@testable import BacktestCore
import Base
import XCTest

/// The queued rows of runs started at once, written a moment after the `run` answer (`LateIndexRows`).
final class LateIndexRowsTests: XCTestCase {
    private var root = ""
    private var layout: WorkspaceLayout { WorkspaceLayout(root: root, runsDir: root + "/backtests") }

    override func setUpWithError() throws {
        root = try WorkspaceTestSupport.makeRoot()
        try FileSystem.makeDirectories(layout.stateDir)
    }

    override func tearDown() { WorkspaceTestSupport.remove(root) }

    /// `flush` (what `list` calls first) writes the pending rows before it returns, well before the timer.
    func testAFlushWritesThePendingRowsAtOnce() throws {
        let index = try RunIndex(path: layout.index)
        let rows = LateIndexRows(index: index)
        let ids = ["20300101_000000_001", "20300101_000000_002"]
        for (k, id) in ids.enumerated() {
            rows.add(WorkspaceTestSupport.record(layout, id: id, status: .queued, createdAt: 1_000 + Int64(k)), version: 100)
        }
        rows.flush()
        XCTAssertEqual(try index.query(RunQuery(ascending: true)).runs.map(\.runID), ids)
    }

    /// Nobody flushes: the timer writes them.
    func testTheRowsAreWrittenWithoutAFlush() throws {
        let index = try RunIndex(path: layout.index)
        let rows = LateIndexRows(index: index)
        rows.add(WorkspaceTestSupport.record(layout, id: "20300101_000000_001", status: .queued, createdAt: 1_000), version: 100)
        XCTAssertTrue(WorkspaceTestSupport.eventually(within: 5) { (try? index.query(RunQuery()).total) == 1 })
    }

    /// Written after the supervisor saved `running` (a newer run.json), the queued row does not take the
    /// run back to queued.
    func testALateRowNeverHidesTheSupervisorsLaterStatus() throws {
        let index = try RunIndex(path: layout.index)
        let rows = LateIndexRows(index: index)
        var r = WorkspaceTestSupport.record(layout, id: "20300101_000000_001", status: .queued, createdAt: 1_000)
        let queued = r
        r.status = .running
        r.startedAt = 1_010
        index.upsert([(r, 200)])
        rows.add(queued, version: 100)
        rows.flush()
        XCTAssertEqual(try index.query(RunQuery()).runs.map(\.status), [.running])
    }
}
