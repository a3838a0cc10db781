@testable import BacktestCore
import Base
import Dispatch
import Glibc
import JSON
import XCTest

/// The end's work on a run's result files, begun while the script is still exiting (`EarlyEnd`): handed on
/// when the files are as it saw them, dropped when anything changed since it began.
final class EarlyEndTests: XCTestCase {
    private var dir = ""
    private var results: String { dir + "/results" }

    override func setUpWithError() throws {
        dir = try WorkspaceTestSupport.makeRoot()
        try FileSystem.makeDirectories(results)
    }

    override func tearDown() { WorkspaceTestSupport.remove(dir) }

    /// Starts watching; each piece of work is numbered, and `done` is signalled when one is finished.
    private func start(_ done: DispatchSemaphore, _ count: Shared<Int>) throws -> EarlyEnd {
        try XCTUnwrap(EarlyEnd.start(resultsDir: results) {
            let n = count.withLock { $0 += 1; return $0 }
            defer { done.signal() }
            return PreparedEnd(analysis: ["work": .int(Int64(n))])
        })
    }

    private func write(_ name: String, _ text: String) throws {
        try AtomicFile.write(Array(text.utf8), to: results + "/" + name, sync: false)
    }

    private func waitForWork(_ done: DispatchSemaphore) {
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the work was begun once the results dir was quiet")
    }

    /// Watching a results dir with trades.csv written, and the work on it done.
    private func watchingDoneWork() throws -> EarlyEnd {
        let done = DispatchSemaphore(value: 0)
        let early = try start(done, Shared(0))
        try write("trades.csv", "a,b\n1,2\n")
        waitForWork(done)
        return early
    }

    func testWorkBegunAfterTheLastWriteIsHandedOn() throws {
        let done = DispatchSemaphore(value: 0), count = Shared(0)
        let early = try start(done, count)
        try write("trades.csv", "a,b\n1,2\n")
        try write("pnl.csv", "date,pnl\n")
        waitForWork(done)
        XCTAssertEqual(early.finish()?.analysis, ["work": 1])
    }

    func testAWriteAfterTheWorkBeganMakesItStale() throws {
        let early = try watchingDoneWork()
        // In place, the same size: only the event tells.
        let fd = open(results + "/trades.csv", O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(pwrite(fd, "9", 1, 4), 1)
        close(fd)
        XCTAssertNil(early.finish())
    }

    /// A write through a hard link in another directory raises no event in the results dir: the look at
    /// the files in `finish` sees it.
    func testAWriteThatRaisesNoEventHereIsSeenToo() throws {
        let early = try watchingDoneWork()
        mkdir(dir + "/elsewhere", 0o755)
        XCTAssertEqual(link(results + "/trades.csv", dir + "/elsewhere/alias.csv"), 0)
        let fd = open(dir + "/elsewhere/alias.csv", O_WRONLY | O_APPEND)
        XCTAssertEqual(Glibc.write(fd, "3,4\n", 4), 4)
        close(fd)
        XCTAssertNil(early.finish())
    }

    /// A subdirectory would need watches of its own: nothing is handed on.
    func testAResultsDirWithASubdirectoryGetsNoWork() throws {
        let done = DispatchSemaphore(value: 0), count = Shared(0)
        let early = try start(done, count)
        try write("trades.csv", "a,b\n1,2\n")
        try FileSystem.makeDirectories(results + "/plots")
        try AtomicFile.write(Array("x".utf8), to: results + "/plots/a.txt", sync: false)
        XCTAssertNil(early.finish())
    }

    /// Nothing written: nothing to begin, nothing handed on.
    func testNoResultsNoWork() throws {
        let done = DispatchSemaphore(value: 0), count = Shared(0)
        let early = try start(done, count)
        XCTAssertNil(early.finish())
        XCTAssertEqual(count.withLock { $0 }, 0)
    }
}
