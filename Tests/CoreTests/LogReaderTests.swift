import BacktestCore
import Base
import Glibc
import JSON
import XCTest

/// LogWriter / OutputCapture / LogReader / LogTailer / LogLine on a run directory written in-process.
final class LogReaderTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/bt-logs-XXXXXX".utf8CString)
        dir = try XCTUnwrap(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    }

    override func tearDown() {
        for f in ["execution.log", ".log.idx"] { unlink(dir + "/" + f) }
        rmdir(dir)
    }

    private func feed(_ c: OutputCapture, _ s: String, _ stream: LogStream, at t: Int64) {
        Array(s.utf8).withUnsafeBufferPointer { c.consume($0, stream: stream, timeMillis: t) }
    }

    func testWriterIndexReaderAndTailerAgree() throws {
        let paths = RunPaths(runDir: dir)
        let tailer = LogTailer(paths: paths)
        XCTAssertEqual(tailer.readNew(), [], "no files yet")
        XCTAssertEqual(LogReader(paths: paths).count(), 0)

        let capture = OutputCapture(writer: try LogWriter(paths: paths))
        feed(capture, "out 1\nout", .stdout, at: 1000)
        feed(capture, "err 1\n", .stderr, at: 1001)
        XCTAssertEqual(tailer.readNew().map(\.text), ["out 1", "err 1"])
        feed(capture, " 2\n", .stdout, at: 1002)
        feed(capture, "tail", .stderr, at: 1003)
        capture.finish(.stderr, timeMillis: 1004)
        capture.finish(.stdout, timeMillis: 1005)

        let reader = LogReader(paths: paths)
        XCTAssertEqual(reader.count(), 4)
        let all = reader.lines(from: 0, limit: 10)
        XCTAssertEqual(all, [
            LogLine(seq: 0, stream: .stdout, atMillis: 1000, text: "out 1"),
            LogLine(seq: 1, stream: .stderr, atMillis: 1001, text: "err 1"),
            LogLine(seq: 2, stream: .stdout, atMillis: 1002, text: "out 2"),
            LogLine(seq: 3, stream: .stderr, atMillis: 1004, text: "tail"),
        ])
        XCTAssertEqual(tailer.readNew(max: 1).map(\.seq), [2])
        XCTAssertEqual(tailer.readNew().map(\.seq), [3])
        XCTAssertEqual(tailer.nextSeq, 4)
        XCTAssertEqual(tailer.readNew(), [])
        XCTAssertEqual(LogTailer(paths: paths, from: 3).readNew().map(\.text), ["tail"])

        XCTAssertEqual(reader.lines(from: 1, limit: 2).map(\.seq), [1, 2])
        XCTAssertEqual(reader.lines(from: 4, limit: 2), [])
        XCTAssertEqual(reader.lines(from: 0, limit: 10, stream: .stderr).map(\.seq), [1, 3])
        XCTAssertEqual(reader.lines(from: 2, limit: 10, stream: .stderr).map(\.seq), [3])
        XCTAssertEqual(reader.tail(1).map(\.text), ["tail"])
        XCTAssertEqual(reader.tail(10).count, 4)
        XCTAssertEqual(reader.tail(1, stream: .stdout).map(\.text), ["out 2"])
        XCTAssertEqual(capture.lastStderrLine, Array("tail".utf8))
        XCTAssertEqual(String(decoding: AtomicFile.read(paths.log) ?? [], as: UTF8.self), "out 1\nerr 1\nout 2\ntail\n")
    }

    func testFilteredTailScansAcrossIndexBlocks() throws {
        let paths = RunPaths(runDir: dir)
        let capture = OutputCapture(writer: try LogWriter(paths: paths))
        feed(capture, "rare\n", .stderr, at: 1)
        feed(capture, String(repeating: "x\n", count: 10_000), .stdout, at: 2)
        XCTAssertEqual(LogReader(paths: paths).tail(5, stream: .stderr).map(\.seq), [0])
        XCTAssertEqual(LogReader(paths: paths).lines(from: 1, limit: 5, stream: .stderr), [])
    }

    func testLineJSONForms() {
        let line = LogLine(seq: 7, stream: .stderr, atMillis: 1_795_000_000_123, text: "a \"quoted\"\ttab é")
        var w = JSONWriter()
        line.appendJSON(to: &w)
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), JSONWriter.string(line.json()))
        XCTAssertEqual(line.json()["at"].stringValue, ISOTime.format(millis: 1_795_000_000_123))
        // The fast time formatter agrees with ISOTime across years, leap days and ms edges.
        for ms: Int64 in [0, 999, 951_782_400_000, 951_868_799_999, 1_709_164_800_500, 4_102_444_800_001] {
            var w = JSONWriter()
            LogLine(seq: 0, stream: .stdout, atMillis: ms, text: "").appendJSON(to: &w)
            let v = try? JSONParser.parse(w.bytes)
            XCTAssertEqual(v?["at"].stringValue, ISOTime.format(millis: ms), "\(ms)")
        }
    }
}
