import BacktestCore
import XCTest

/// LineSplitter fed whole, in every two-chunk split, and one byte at a time: the lines must not depend on
/// where the pipe reads happened to cut.
final class LogLineSplitterTests: XCTestCase {
    private func split(_ input: [UInt8], chunks: [Int]? = nil, max: Int = LineSplitter.defaultMaxLineBytes) -> [[UInt8]] {
        var s = LineSplitter(maxLineBytes: max)
        var out: [[UInt8]] = []
        var at = 0
        for size in chunks ?? [input.count] {
            let end = Swift.min(at + size, input.count)
            input[at..<end].withUnsafeBufferPointer { s.feed($0) { out.append(Array($0)) } }
            at = end
        }
        if at < input.count { input[at...].withUnsafeBufferPointer { s.feed($0) { out.append(Array($0)) } } }
        s.finish { out.append(Array($0)) }
        return out
    }

    private func check(_ text: String, _ expected: [String], max: Int = LineSplitter.defaultMaxLineBytes,
                       file: StaticString = #filePath, line: UInt = #line) {
        let input = Array(text.utf8)
        let want = expected.map { Array($0.utf8) }
        XCTAssertEqual(split(input, max: max), want, "whole", file: file, line: line)
        XCTAssertEqual(split(input, chunks: Array(repeating: 1, count: input.count), max: max), want, "bytewise", file: file, line: line)
        for cut in 0...input.count {
            XCTAssertEqual(split(input, chunks: [cut, input.count], max: max), want, "cut at \(cut)", file: file, line: line)
        }
    }

    func testNewlines() {
        check("a\nbb\n\nccc\n", ["a", "bb", "", "ccc"])
        check("", [])
        check("\n", [""])
    }

    func testCRLFIsOneTerminator() {
        check("a\r\nb\r\n", ["a", "b"])
        check("a\r\n\r\nb", ["a", "", "b"])
    }

    func testLoneCarriageReturnEndsALine() {
        check("10%\r20%\r30%\n", ["10%", "20%", "30%"])
        // tqdm starts each update with \r: no empty line for it.
        check("x\n\r 10%\r 20%\n", ["x", " 10%", " 20%"])
        check("\r\r\ra\r", ["a"])
    }

    func testLastLineWithoutTerminator() {
        check("a\nb", ["a", "b"])
        check("only", ["only"])
    }

    func testLongLinesAreCutIntoPiecesOnCharacterBoundaries() {
        check("abcdefghij\n", ["abcd", "efgh", "ij"], max: 4)
        check("abcd\n", ["abcd"], max: 4)
        // "aé€😀": 1 + 2 + 3 + 4 bytes; pieces never split a character.
        check("aé€😀b\n", ["aé", "€", "😀", "b"], max: 4)
        check("😀😀", ["😀", "😀"], max: 4)
    }

    func testInvalidBytesPassThroughUnchanged() {
        let input: [UInt8] = [0x61, 0xFF, 0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0A]
        XCTAssertEqual(split(input), [[0x61, 0xFF], [0x80, 0x80, 0x80, 0x80, 0x80]])
        XCTAssertEqual(split(input, max: 4), [[0x61, 0xFF], [0x80, 0x80, 0x80, 0x80], [0x80]])
    }

    func testPendingStaysBounded() {
        var s = LineSplitter(maxLineBytes: 1024)
        var count = 0
        let chunk = [UInt8](repeating: 0x78, count: 700)
        for _ in 0..<100 {
            chunk.withUnsafeBufferPointer { s.feed($0) { _ in count += 1 } }
            XCTAssertLessThanOrEqual(s.pendingCount, 1024)
        }
        s.finish { _ in count += 1 }
        XCTAssertEqual(count, (70_000 + 1023) / 1024)
    }
}
