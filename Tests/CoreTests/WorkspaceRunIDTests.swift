@testable import BacktestCore
import Base
import Foundation
import Glibc
import Synchronization
import XCTest

/// Run ids: the UTC millisecond, unique across threads and processes, sorted in creation order.
final class WorkspaceRunIDTests: XCTestCase {
    func testEightThreadsOfAHundredIdsAreDistinctAndOrdered() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let allocator = RunIDAllocator(runsDir: root)
        let collected = Mutex(Array(repeating: [String](), count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            var mine: [String] = []
            for _ in 0..<100 { if let (id, _) = try? allocator.allocate() { mine.append(id) } }
            collected.withLock { $0[t] = mine }
        }
        let results = collected.withLock { $0 }
        var all: [String] = []
        for t in 0..<8 {
            XCTAssertEqual(results[t].count, 100)
            XCTAssertEqual(results[t], results[t].sorted(), "a thread's later id sorted before an earlier one")
            all += results[t]
        }
        XCTAssertEqual(Set(all).count, 800)
        for id in all {
            XCTAssertTrue(FileSystem.isDirectory(root + "/" + id))
            XCTAssertTrue(id.utf8.count == 19 || id.utf8.count == 23, id)
            XCTAssertTrue(RunStore.isValidRunID(id))
        }
    }

    func testSameMillisecondAndAClockStepBackStillSortInCreationOrder() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        // Far in the future, so that no other test's ids of this process interfere.
        let t: Int64 = 4_102_444_800_000 + Int64.random(in: 0..<1_000_000) * 1000
        let allocator = RunIDAllocator(runsDir: root)
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try allocator.allocate(now: t).id) }
        ids.append(try allocator.allocate(now: t - 5000).id)  // the clock stepped back
        ids.append(try allocator.allocate(now: t + 1).id)
        let stem = ISOTime.runIDStem(millis: t)
        XCTAssertEqual(Array(ids.prefix(6)), [stem, stem + "_001", stem + "_002", stem + "_003", stem + "_004", stem + "_005"])
        XCTAssertEqual(ids.last, ISOTime.runIDStem(millis: t + 1))
        XCTAssertEqual(ids, ids.sorted())
    }

    /// Another process creating the same names (as a second server would) makes us take suffixes, never
    /// its directories.
    func testClashesWithAnotherProcessGetSuffixes() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        // A python process claims the current millisecond's names as fast as it can, as a rival allocator.
        let rival = """
        import os, time, datetime, sys
        root = sys.argv[1]; made = []
        end = time.time() + 0.6
        open(root + '/rival.ready', 'w').close()
        while time.time() < end:
            ms = int(time.time() * 1000)
            stem = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime('%Y%m%d_%H%M%S_') + '%03d' % (ms % 1000)
            for n in range(3):
                name = stem if n == 0 else '%s_%03d' % (stem, n)
                try:
                    os.mkdir(os.path.join(root, name)); made.append(name)
                except FileExistsError:
                    pass
        open(root + '/rival.txt', 'w').write('\\n'.join(made))
        """
        let py = try WorkspaceTestSupport.writeScript(root, "rival.py", rival)
        guard case .success(let pid) = ProcessSpawner.spawn(executable: try SupervisorTestSupport.python,
                                                           argv: ["python3", py, root], environment: [:], cwd: root)
        else { return XCTFail("cannot start python3") }
        XCTAssertTrue(WorkspaceTestSupport.eventually { FileSystem.exists(root + "/rival.ready") })
        let allocator = RunIDAllocator(runsDir: root)
        var ours: [String] = []
        while !FileSystem.exists(root + "/rival.txt") && ours.count < 3000 {
            ours.append(try allocator.allocate().id)
        }
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        let theirs = Set((String(decoding: AtomicFile.read(root + "/rival.txt") ?? [], as: UTF8.self)).split(separator: "\n").map(String.init))
        XCTAssertFalse(theirs.isEmpty)
        XCTAssertTrue(Set(ours).isDisjoint(with: theirs))
        XCTAssertEqual(Set(ours).count, ours.count)
        XCTAssertEqual(ours, ours.sorted())
        XCTAssertTrue(ours.contains { $0.utf8.count == 23 }, "no clash happened: the test proves nothing")
    }
}
