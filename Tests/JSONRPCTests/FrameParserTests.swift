import Base
import JSON
import JSONRPC
import XCTest

/// The framing layer on its own: every input is also fed one byte at a time and in random splits, and must
/// give the same events as when fed whole. Bodies are judged as the server judges them (JSON or not), so a
/// body that is not JSON appears in `expected` as the `.message` it was, followed by what LSP framing
/// recovered after it.
final class FrameParserTests: XCTestCase {
    typealias Event = FrameParser.Event

    /// What the server answers a body with: accepted when it parses.
    static func isJSON(_ body: [UInt8]) -> Bool { (try? JSONParser.parse(body)) != nil }

    /// Feeds `input` whole, byte by byte and in 200 random splits; asserts all agree with `expected`.
    func check(_ input: [UInt8], framing: Framing = .auto, max: Int = 1 << 20, _ expected: [Event],
               detected: Framing? = nil, splits: Int = 200, file: StaticString = #filePath, line: UInt = #line) {
        func run(_ chunks: [[UInt8]]) -> ([Event], Framing) {
            var p = FrameParser(framing: framing, maxMessageSize: max)
            var out: [Event] = []
            for c in chunks { out += p.feed(c, accepting: Self.isJSON) }
            out += p.finish()
            return (out, p.framing)
        }
        let (whole, f) = run([input])
        XCTAssertEqual(whole, expected, "fed whole", file: file, line: line)
        if let detected { XCTAssertEqual(f, detected, file: file, line: line) }
        XCTAssertEqual(run(input.map { [$0] }).0, expected, "fed byte by byte", file: file, line: line)
        var rng = SplitMix64(seed: UInt64(input.count) &+ 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<splits {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < input.count {
                let n = Int(rng.next() % 23) + 1
                chunks.append(Array(input[i..<min(input.count, i + n)]))
                i += n
            }
            XCTAssertEqual(run(chunks).0, expected, "fed in random splits", file: file, line: line)
        }
    }

    func msg(_ s: String) -> Event { .message(Array(s.utf8)) }

    func lsp(_ body: String, header: String = "Content-Length") -> String {
        "\(header): \(body.utf8.count)\r\n\r\n\(body)"
    }

    // MARK: NDJSON

    func testNDJSONLinesCRLFAndBlankLines() {
        let input = "{\"a\":1}\n\r\n  \n{\"b\":\"x\"}\r\n[1,2]\n\n"
        check(Array(input.utf8), [msg("{\"a\":1}"), msg("{\"b\":\"x\"}"), msg("[1,2]")], detected: .ndjson)
    }

    func testNDJSONDetectedAfterLeadingWhitespace() {
        check(Array("\r\n \t[{}]\n".utf8), [msg("[{}]")], detected: .ndjson)
    }

    func testNDJSONLastLineWithoutNewlineIsAMessageAtEnd() {
        check(Array("{\"a\":1}\n{\"b\":2}".utf8), [msg("{\"a\":1}"), msg("{\"b\":2}")])
    }

    func testNDJSONMultiByteUTF8() {
        let line = "{\"t\":\"€ 😀 ü\"}"
        check(Array((line + "\n" + line + "\n").utf8), [msg(line), msg(line)])
    }

    func testNDJSONOversizeLineIsSkippedAndStreamStaysInSync() {
        let big = "{\"x\":\"" + String(repeating: "a", count: 300) + "\"}"
        let input = "{\"a\":1}\n" + big + "\r\n{\"b\":2}\n" + big
        check(Array(input.utf8), max: 100,
              [msg("{\"a\":1}"), .tooLarge(size: big.utf8.count), msg("{\"b\":2}"), .tooLarge(size: big.utf8.count)])
    }

    func testNDJSONLineOfExactlyTheLimitIsAccepted() {
        let line = "[" + String(repeating: "1,", count: 48) + "11]"  // 100 bytes
        XCTAssertEqual(line.utf8.count, 100)
        check(Array((line + "\n").utf8), max: 100, [msg(line)])
        check(Array((line + "\r\n").utf8), max: 100, [msg(line)], splits: 50)  // found by Tests/Fuzz
        check(Array(("[0," + line.dropFirst() + "\n").utf8), max: 100, [.tooLarge(size: 102)])
    }

    // MARK: LSP

    func testLSPFramesWithOtherHeadersAndCaseInsensitiveName() {
        let a = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}"
        let b = "{\"id\":2}"
        let input = "content-length: \(a.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(a)"
            + "CONTENT-LENGTH:\(b.utf8.count)\r\n\r\n\(b)"
        check(Array(input.utf8), [msg(a), msg(b)], detected: .lsp)
    }

    func testLSPLengthIsCountedInBytesForMultiByteUTF8() {
        let body = "{\"text\":\"€uro 😀 and ü\"}"
        XCTAssertEqual(body.utf8.count, body.count + 2 + 3 + 1)  // € is 3 bytes, 😀 4, ü 2
        let input = lsp(body) + lsp(body)
        check(Array(input.utf8), [msg(body), msg(body)])
    }

    func testLSPBareNewlinesAndBlankLinesBetweenFrames() {
        let input = "Content-Length: 2\n\n{}\r\n\r\nContent-Length: 2\r\n\r\n[]"
        check(Array(input.utf8), [msg("{}"), msg("[]")])
    }

    func testLSPOversizeBodyIsSkippedToTheNextHeader() {
        let big = "{\"x\":\"" + String(repeating: "€", count: 100) + "\"}"
        let input = lsp("{}") + lsp(big) + lsp("[1]")
        check(Array(input.utf8), max: 100, [msg("{}"), .tooLarge(size: big.utf8.count), msg("[1]")])
    }

    func testLSPMissingContentLengthResyncsOnNextHeader() {
        let input = "Content-Type: x\r\n\r\n{\"lost\":1}" + lsp("{\"ok\":1}")
        check(Array(input.utf8), [.malformed(reason: "header block without Content-Length"), msg("{\"ok\":1}")])
    }

    func testLSPMalformedHeaderLineResyncs() {
        let input = "Content-Length 12\r\n\r\n{\"lost\":1}\r\n" + lsp("{\"ok\":1}")
        check(Array(input.utf8), [.malformed(reason: "malformed header line (no ':')"), msg("{\"ok\":1}")])
    }

    func testLSPInvalidLengthValue() {
        let input = "Content-Length: -5\r\n\r\n" + lsp("{}")
        check(Array(input.utf8), [.malformed(reason: "invalid Content-Length value"), msg("{}")])
        // The conflicting line starts a new frame (the first one had lost its blank line); its 3 bytes "{}C"
        // are not JSON, so framing restarts inside them and finds the next frame.
        check(Array(("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}" + lsp("[]")).utf8),
              [.malformed(reason: "conflicting Content-Length headers"), msg("{}C"), msg("[]")])
    }

    func testLSPTruncatedBodyAtEndOfInput() {
        check(Array("Content-Length: 10\r\n\r\n{\"a\"".utf8), [.malformed(reason: "end of input after 4 of 10 body bytes")])
        check(Array("Content-Length: 10\r\n".utf8), [.malformed(reason: "end of input inside a header block")])
    }

    func testLSPHugeHeaderBlockIsRefused() {
        let junk = "X-Junk: " + String(repeating: "j", count: FrameParser.maxHeaderBytes) + "\r\n"
        let input = junk + "\r\n" + lsp("{}")
        var p = FrameParser()
        let events = p.feed(Array(input.utf8)) + p.finish()
        XCTAssertEqual(events.first, .malformed(reason: "header block longer than \(FrameParser.maxHeaderBytes) bytes"))
        XCTAssertEqual(events.last, msg("{}"))
    }

    func testForcedFramings() {
        // Forced LSP: a JSON line is not a header (quotes and braces are not header-name characters).
        check(Array(("{\"a\":1}\n" + lsp("{}")).utf8), framing: .lsp,
              [.malformed(reason: "malformed header name"), msg("{}")], detected: .lsp)
        // Forced NDJSON: a header line is just a (bad) message; the server answers it with a parse error.
        check(Array("Content-Length: 2\n{}\n".utf8), framing: .ndjson, [msg("Content-Length: 2"), msg("{}")])
    }

    func testEmptyInput() {
        check([], [])
        check(Array(" \r\n".utf8), [])
    }

    func testManyFramesInOneFeedAreAllEmittedInOrder() {
        var input = ""
        var expected: [Event] = []
        for i in 0..<500 {
            let body = "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"health\"}"
            input += lsp(body)
            expected.append(msg(body))
        }
        check(Array(input.utf8), expected, splits: 10)
    }

    // MARK: LSP recovery from a lying Content-Length

    func health(_ id: Int) -> String { "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"health\"}" }

    func testLSPLengthTooSmallCostsOnlyItsOwnFrame() {
        // The example is length 10; also 0, 1 and one byte short.
        let first = health(1)
        for length in [10, 0, 1, first.utf8.count - 1] {
            let input = "Content-Length: \(length)\r\n\r\n" + first + lsp(health(2)) + lsp(health(3))
            check(Array(input.utf8), [.message(Array(first.utf8.prefix(length))), msg(health(2)), msg(health(3))],
                  splits: 50)
        }
    }

    func testLSPLengthTooLargeRestartsAtTheHeaderItSwallowed() {
        let first = health(1)
        // A few bytes too many: the body ends inside the next header and is not JSON.
        let bytes = Array(first.utf8) + Array("Conte".utf8)
        check(Array(("Content-Length: \(first.utf8.count + 5)\r\n\r\n" + first + lsp(health(2)) + lsp(health(3))).utf8),
              [.message(bytes), msg(health(2)), msg(health(3))], splits: 50)
        // Far too many: the next header is found before the body could ever complete.
        check(Array(("Content-Length: 1000\r\n\r\n" + first + lsp(health(2)) + lsp(health(3))).utf8),
              [.malformed(reason: "Content-Length 1000 runs into the next header, 42 bytes into the body"),
               msg(health(2)), msg(health(3))], splits: 50)
    }

    func testLSPHeaderInsideAnUnfinishedBodyIsReportedWithoutWaitingForMoreInput() {
        // An interactive client that sent a lie and then a good frame waits for an answer: it must come now,
        // not after 1000 more bytes.
        var p = FrameParser()
        let events = p.feed(Array(("Content-Length: 1000\r\n\r\n" + health(1) + lsp(health(2))).utf8), accepting: Self.isJSON)
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.last, msg(health(2)))
    }

    func testLSPHeaderWithoutItsBlankLine() {
        check(Array(("Content-Length: 42\r\n" + health(1) + lsp(health(2))).utf8),
              [.malformed(reason: "malformed header name"), msg(health(2))], splits: 50)
        check(Array(("Content-Length: 42" + health(1) + lsp(health(2))).utf8),
              [.malformed(reason: "invalid Content-Length value"), msg(health(2))], splits: 50)
        check(Array(("Content-Length: 10\r\n" + lsp(health(2))).utf8),
              [.malformed(reason: "conflicting Content-Length headers"), msg(health(2))], splits: 50)
    }

    func testLSPHeaderLinesRunTogetherAreSplitAtTheContentLength() {
        // What was left of a header line must not swallow the next frame's header as its value.
        let reason = "a header line runs into a Content-Length header (a line end is missing)"
        for junk in ["X-Junk: half a header", "Content-Len", "Content-Type: x\r\nX-Y: "] {
            check(Array((junk + lsp(health(2))).utf8), [.malformed(reason: reason), msg(health(2))], splits: 50)
        }
    }

    func testLSPAbsurdLengthIsScannedNotSkippedByItsCount() {
        check(Array(("Content-Length: 999999999999999999\r\n\r\n" + health(1) + lsp(health(2))).utf8),
              [.tooLarge(size: 999_999_999_999_999_999), msg(health(2))], splits: 50)
        // 19 digits is not a length at all.
        check(Array(("Content-Length: 9999999999999999999\r\n\r\n" + health(1) + lsp(health(2))).utf8),
              [.malformed(reason: "invalid Content-Length value"), msg(health(2))], splits: 50)
    }

    func testLSPRecoveryIgnoresHeaderTextInsideJSONStrings() {
        // An oversize body that mentions a header is scanned over without a false frame or a second error.
        let big = "{\"note\":\"Content-Length: 5\",\"pad\":\"" + String(repeating: "x", count: 200) + "\"}"
        check(Array((lsp(big) + lsp(health(2))).utf8), max: 100,
              [.tooLarge(size: big.utf8.count), msg(health(2))], splits: 50)
    }

    func testLSPEndOfInputInsideALyingBodyEndsQuietly() {
        // Bytes that never arrive: one error at the end of input, as for any truncated body.
        check(Array(("Content-Length: 1000\r\n\r\n" + health(1)).utf8),
              [.malformed(reason: "end of input after 42 of 1000 body bytes")], splits: 50)
        // A lie found while resynchronising leaves nothing behind at the end.
        check(Array(("Content-Length: 3\r\n\r\n" + health(1)).utf8), [.message(Array("{\"j".utf8))], splits: 50)
    }
}

