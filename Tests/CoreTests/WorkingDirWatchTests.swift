@testable import BacktestCore
import Base
import Glibc
import XCTest

/// Finding what a run wrote under its working directory, in-process: with inotify (`WorkingDirWatch`) and
/// with the full walks it falls back to (`WorkingDirSnapshot`). Both must find the same files.
final class WorkingDirWatchTests: XCTestCase {
    private func put(_ path: String, _ text: String) throws {
        try FileSystem.makeDirectories(PathText.parent(path))
        try AtomicFile.write(Array(text.utf8), to: path, sync: false)
    }

    /// Writes in place (same inode), as `open(..., "w")` does.
    private func overwrite(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    private func makeTree() throws -> String {
        let root = try WorkspaceTestSupport.makeRoot()
        for f in ["keep.py", "old.csv", "pkg/a.py", "pkg/deep/b.py", "backtests/run1/run.json", ".git/HEAD"] {
            try put(root + "/" + f, "before\n")
        }
        // Older than the run: not the run's however it is looked at.
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        for f in ["keep.py", "old.csv", "pkg/a.py", "pkg/deep/b.py"] { utimensat(AT_FDCWD, root + "/" + f, &times, 0) }
        return root
    }

    private func script(_ root: String) throws {
        overwrite(root + "/old.csv", "changed in place\n")
        try put(root + "/plot.html", "<html/>")
        try put(root + "/pkg/deep/out.txt", "x")
        try put(root + "/newdir/sub/r.csv", "y")
        try put(root + "/__pycache__/m.pyc", "z")
        try put(root + "/pkg/__pycache__/a.pyc", "z")
        try put(root + "/backtests/run2/run.json", "{}")
        try put(root + "/.git/index", "i")
    }

    private let expected = ["newdir/sub/r.csv", "old.csv", "pkg/deep/out.txt", "plot.html"]

    func testWatchFindsWhatWasWritten() throws {
        let root = try makeTree()
        defer { WorkspaceTestSupport.remove(root) }
        let watch = WorkingDirWatch.start(root: root, excluding: [root + "/backtests"],
                                          sinceNanos: WorkingDirSnapshot.coarseNowNanos())
        try script(root)
        let (changes, truncated) = watch.finish()
        XCTAssertEqual(changes.map(\.path), expected)
        XCTAssertFalse(truncated)
        XCTAssertEqual(changes.first { $0.path == "old.csv" }?.size, 17)
    }

    func testWrittenBeforeTheWatchIsFoundByItsDirectory() throws {
        let root = try makeTree()
        defer { WorkspaceTestSupport.remove(root) }
        let since = WorkingDirSnapshot.coarseNowNanos()
        usleep(20_000)
        try put(root + "/pkg/early.html", "early")  // before the watch: pkg's mtime moved
        let watch = WorkingDirWatch.start(root: root, excluding: [root + "/backtests"], sinceNanos: since)
        XCTAssertEqual(watch.finish().changes.map(\.path), ["pkg/early.html"])
    }

    /// The supervisor begins the watch before the spawn and sets the rest while the script runs: a file of
    /// the working directory rewritten in place in between (its directory's mtime unchanged) is still found.
    func testInPlaceRewriteBetweenBeginAndTheRestIsFound() throws {
        let root = try makeTree()
        defer { WorkspaceTestSupport.remove(root) }
        let watch = WorkingDirWatch.begin(root: root, excluding: [root + "/backtests"],
                                          sinceNanos: WorkingDirSnapshot.coarseNowNanos())
        overwrite(root + "/old.csv", "changed in place\n")
        watch.watchRest()
        XCTAssertEqual(watch.finish().changes.map(\.path), ["old.csv"])
    }

    func testFullWalksFindTheSame() throws {
        let root = try makeTree()
        defer { WorkspaceTestSupport.remove(root) }
        let since = WorkingDirSnapshot.coarseNowNanos()
        let before = WorkingDirSnapshot.take(root: root, excluding: [root + "/backtests"])
        try script(root)
        let (changes, truncated) = before.changes(root: root, excluding: [root + "/backtests"], sinceNanos: since)
        XCTAssertEqual(changes.map(\.path), expected)
        XCTAssertFalse(truncated)
        // Nothing written: nothing found (older files are not the run's).
        let again = WorkingDirSnapshot.take(root: root, excluding: [root + "/backtests"])
        XCTAssertEqual(again.changes(root: root, excluding: [root + "/backtests"],
                                     sinceNanos: WorkingDirSnapshot.coarseNowNanos() + 1_000_000_000).changes, [])
    }

    func testWalkLimitIsReported() throws {
        let root = try makeTree()
        defer { WorkspaceTestSupport.remove(root) }
        XCTAssertTrue(WorkingDirSnapshot.take(root: root, limit: 3).truncated)
        let watch = WorkingDirWatch.start(root: root, sinceNanos: WorkingDirSnapshot.coarseNowNanos(), limit: 3)
        XCTAssertTrue(watch.finish().truncated)
    }
}
