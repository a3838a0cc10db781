import BacktestCore
import Base
import Glibc
import XCTest

/// What the supervisor makes of a script's output, through the real binary: every line, in order, in the
/// log and its index; carriage returns, unterminated last lines, invalid UTF-8 and huge lines.
final class LogCaptureTests: XCTestCase {
    typealias S = SupervisorTestSupport

    /// Runs a Python snippet under the supervisor and returns the finished run.
    private func capture(_ code: String, file: StaticString = #filePath, line: UInt = #line) throws -> S.Run {
        let run = try S.makePythonRun(["-c", code])
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run, within: 60), file: file, line: line)
        XCTAssertEqual(rec.status, .completed, rec.errorMessage ?? "", file: file, line: line)
        XCTAssertEqual(S.waitExit(sup), 0, file: file, line: line)
        return run
    }

    private func texts(_ run: S.Run) -> [String] { LogReader(paths: run.paths).lines(from: 0, limit: 1_000_000).map(\.text) }

    func testMillionLinesAllPresentInOrderAndTailIsFast() throws {
        let run = try S.makePythonRun([S.scripts + "/log_flood.py", "--lines", "1000000"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run, within: 120))
        XCTAssertEqual(rec.status, .completed)
        XCTAssertEqual(S.waitExit(sup), 0)

        let reader = LogReader(paths: run.paths)
        XCTAssertEqual(reader.count(), 1_000_000)
        let log = try XCTUnwrap(AtomicFile.read(run.paths.log))
        let index = try XCTUnwrap(AtomicFile.read(run.paths.logIndex))
        XCTAssertEqual(index.count, 24 * 1_000_000)
        // Every entry points at the next line of the file, and every line is the next number.
        let template = Array("log line 000000000 processing tick".utf8)
        var problems = 0
        log.withUnsafeBufferPointer { l in
            index.withUnsafeBytes { idx in
                var expectOffset = 0
                for n in 0..<1_000_000 {
                    let e = LogIndexEntry(idx, at: n * 24)
                    if Int(e.offset) != expectOffset || Int(e.length) != template.count || e.stream != 1 { problems += 1; continue }
                    var k = n
                    var ok = l[expectOffset + template.count] == 0x0A
                    for d in stride(from: 17, through: 9, by: -1) {
                        if l[expectOffset + d] != UInt8(48 + k % 10) { ok = false }
                        k /= 10
                    }
                    if !ok { problems += 1 }
                    expectOffset += template.count + 1
                }
                XCTAssertEqual(expectOffset, l.count)
            }
        }
        XCTAssertEqual(problems, 0)

        // The last 100 lines of a 1,000,000-line log: well under 5 ms (best of a few, to skip a cold cache).
        var best = Double.infinity
        var tail: [LogLine] = []
        for _ in 0..<5 {
            let t0 = S.now()
            tail = reader.tail(100)
            best = min(best, S.now() - t0)
        }
        XCTAssertEqual(tail.count, 100)
        XCTAssertEqual(tail.first?.seq, 999_900)
        XCTAssertEqual(tail.last?.text, "log line 000999999 processing tick")
        XCTAssertLessThan(best, 0.005, "tail(100) took \(best * 1000) ms")
        S.remove(run)
    }

    func testStreamsInterleaveAndFilterFromTheEnd() throws {
        let run = try S.makePythonRun([S.scripts + "/log_flood.py", "--lines", "20000", "--stderr-every", "1000"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        XCTAssertEqual(S.finalRecord(run, within: 60)?.status, .completed)
        XCTAssertEqual(S.waitExit(sup), 0)
        let reader = LogReader(paths: run.paths)
        XCTAssertEqual(reader.count(), 20_020)
        let errs = reader.tail(3, stream: .stderr)
        XCTAssertEqual(errs.map(\.text), ["stderr line 000017000", "stderr line 000018000", "stderr line 000019000"])
        XCTAssertTrue(errs.allSatisfy { $0.stream == .stderr })
        let firstErrs = reader.lines(from: 0, limit: 2, stream: .stderr)
        XCTAssertEqual(firstErrs.map(\.text), ["stderr line 000000000", "stderr line 000001000"])
        XCTAssertEqual(reader.lines(from: firstErrs[1].seq + 1, limit: 1, stream: .stderr).first?.text, "stderr line 000002000")
        XCTAssertEqual(reader.tail(2, stream: .stdout).map(\.text), ["log line 000019998 processing tick", "log line 000019999 processing tick"])
    }

    func testCarriageReturnsEndLines() throws {
        // tqdm style: each update starts with \r; \r\n is one terminator; a blank \r\n line stays a line.
        let run = try capture(#"import sys; sys.stdout.write("start\n\r 10%|#\r 20%|##\r 30%|###\ndone\r\n\r\nx\r")"#)
        defer { S.remove(run) }
        XCTAssertEqual(texts(run), ["start", " 10%|#", " 20%|##", " 30%|###", "done", "", "x"])
    }

    func testLastLineWithoutNewlineIsKept() throws {
        let run = try capture(#"import sys; sys.stdout.write("one\ntwo"); sys.stderr.write("err-no-newline")"#)
        defer { S.remove(run) }
        XCTAssertEqual(Set(texts(run)), ["one", "two", "err-no-newline"])
        let log = try XCTUnwrap(S.read(run.paths.log))
        XCTAssertTrue(log.hasSuffix("\n"))
    }

    func testInvalidUTF8IsKeptInTheFileAndReplacedForReaders() throws {
        let run = try capture(#"import sys; sys.stdout.buffer.write(b"ok \xff\xfe end\n\xc3\xa9t\xc3\xa9\n")"#)
        defer { S.remove(run) }
        XCTAssertEqual(AtomicFile.read(run.paths.log), Array("ok ".utf8) + [0xFF, 0xFE] + Array(" end\nété\n".utf8))
        XCTAssertEqual(texts(run), ["ok \u{FFFD}\u{FFFD} end", "été"])
    }

    func testTenMegabyteLineIsSplitOnCharacterBoundaries() throws {
        // One ASCII byte first, so that 64 KiB falls in the middle of a two-byte é and the cut must move.
        let run = try capture(#"import sys; sys.stdout.write("a" + "é" * 5000000 + "\nafter\n")"#)
        defer { S.remove(run) }
        let lines = LogReader(paths: run.paths).lines(from: 0, limit: 1000)
        XCTAssertEqual(lines.last?.text, "after")
        let pieces = lines.dropLast()
        XCTAssertEqual(pieces.count, 153)
        XCTAssertTrue(pieces.allSatisfy { $0.text.utf8.count <= 65536 })
        XCTAssertFalse(pieces.contains { $0.text.contains("\u{FFFD}") })
        XCTAssertEqual(pieces.first?.text.utf8.count, 65535)
        let joined = pieces.map(\.text).joined()
        XCTAssertEqual(joined.utf8.count, 10_000_001)
        XCTAssertEqual(joined, "a" + String(repeating: "é", count: 5_000_000))
    }
}
