@testable import BacktestCore
import Base
import Glibc
import XCTest

/// `LogWriter` when writes fail part-way (a full disk), in-process: only the lines that did not make it are
/// lost, both files are cut back to the last whole line, and capture resumes at the same place once writes
/// work again.
///
/// The failure is made with RLIMIT_FSIZE, which makes a write past the limit stop short (then fail with
/// EFBIG) exactly like a disk that fills at that byte, and is lifted as easily as space comes back. It is
/// process-wide, so it is set only around the writes, with SIGXFSZ ignored (its default would dump core).
final class LogWriterGapTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/bt-logwriter-XXXXXX".utf8CString)
        dir = try XCTUnwrap(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    }

    override func tearDown() {
        for f in ["execution.log", ".log.idx"] { unlink(dir + "/" + f) }
        rmdir(dir)
    }

    /// A partial log write: the lines whose bytes all made it are kept, the rest of the batch is lost.
    func testPartialLogWriteKeepsWholeLinesAndResumes() throws {
        let paths = RunPaths(runDir: dir)
        let writer = try LogWriter(paths: paths)
        let capture = OutputCapture(writer: writer)
        // 40-byte lines: the log (41 bytes a line) reaches the limit before the index (24).
        func feed(_ range: Range<Int>) { Self.feed(capture, range, width: 40) }
        feed(0..<100)
        try withFileSizeLimit(100 * 41 + 10 * 41 + 20) {
            feed(100..<200)  // 10 whole lines fit, the 11th only in part
            feed(200..<300)  // nothing fits
        }
        feed(300..<400)

        XCTAssertEqual(writer.loss.lines, 190)
        XCTAssertEqual(writer.loss.gaps, 1, "two failed batches in a row are one gap")
        XCTAssertEqual(writer.loss.firstGapAtSeq, 110)
        XCTAssertEqual(writer.loss.reasons, ["file too large"])
        XCTAssertEqual(writer.lineCount, 210)
        XCTAssertEqual(kept(paths), Array(0..<110) + Array(300..<400))
        try assertConsistent(paths, lines: 210, width: 40)
    }

    /// A partial index write: a cut entry would shift every later one, so it is cut off, and the log with it.
    func testPartialIndexWriteIsCutBackToWholeEntries() throws {
        let paths = RunPaths(runDir: dir)
        let writer = try LogWriter(paths: paths)
        let capture = OutputCapture(writer: writer)
        // 5-byte lines: the index (24 bytes a line) reaches the limit first.
        func feed(_ range: Range<Int>) { Self.feed(capture, range, width: 5) }
        feed(0..<100)
        try withFileSizeLimit(100 * 24 + 10 * 24 + 5) { feed(100..<200) }
        feed(200..<250)
        try withFileSizeLimit(0) { feed(250..<260) }  // a second episode: a second gap
        feed(260..<270)

        XCTAssertEqual(writer.loss.lines, 100)
        XCTAssertEqual(writer.loss.gaps, 2)
        XCTAssertEqual(writer.loss.firstGapAtSeq, 110)
        XCTAssertEqual(kept(paths), Array(0..<110) + Array(200..<250) + Array(260..<270))
        try assertConsistent(paths, lines: 170, width: 5)
        let warning = try XCTUnwrap(writer.loss.warning)
        XCTAssertTrue(warning.hasPrefix("100 log lines could not be written to execution.log (file too large)"), warning)
        XCTAssertTrue(warning.contains("2 gaps, the first before line 110"), warning)
    }

    func testNothingLostMeansNoWarning() throws {
        let writer = try LogWriter(paths: RunPaths(runDir: dir))
        Self.feed(OutputCapture(writer: writer), 0..<10, width: 8)
        XCTAssertTrue(writer.loss.isEmpty)
        XCTAssertNil(writer.loss.warning)
    }

    // MARK: - Helpers

    /// Lines `range` as one chunk, each its number zero-padded to `width`.
    private static func feed(_ capture: OutputCapture, _ range: Range<Int>, width: Int) {
        var bytes: [UInt8] = []
        for i in range { bytes += Array(Self.text(i, width: width).utf8) + [0x0A] }
        bytes.withUnsafeBufferPointer { capture.consume($0, stream: .stdout, timeMillis: 0) }
    }

    private static func text(_ i: Int, width: Int) -> String {
        let digits = String(i)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private func kept(_ paths: RunPaths) -> [Int] {
        LogReader(paths: paths).lines(from: 0, limit: 100_000).compactMap { Int($0.text) }
    }

    /// The index holds whole entries only, each right after the previous line, and the log ends after the
    /// last one: a reader never meets a partial entry or bytes no entry points to.
    private func assertConsistent(_ paths: RunPaths, lines: Int, width: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let index = try XCTUnwrap(AtomicFile.read(paths.logIndex), file: file, line: line)
        let log = try XCTUnwrap(AtomicFile.read(paths.log), file: file, line: line)
        XCTAssertEqual(index.count, lines * LogIndexEntry.size, file: file, line: line)
        XCTAssertEqual(log.count, lines * (width + 1), file: file, line: line)
        index.withUnsafeBytes { raw in
            for k in 0..<lines {
                let e = LogIndexEntry(raw, at: k * LogIndexEntry.size)
                XCTAssertEqual(e.offset, UInt64(k * (width + 1)), "entry \(k)", file: file, line: line)
                XCTAssertEqual(Int(e.length), width, "entry \(k)", file: file, line: line)
            }
        }
    }

    /// Runs `body` with writes limited to files of `bytes` bytes.
    private func withFileSizeLimit(_ bytes: Int, _ body: () throws -> Void) throws {
        let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(resource, &saved), 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = rlim_t(bytes)
        XCTAssertEqual(setrlimit(resource, &limited), 0)
        defer {
            setrlimit(resource, &saved)
            signal(SIGXFSZ, oldHandler)
        }
        try body()
    }
}
