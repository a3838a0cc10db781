import JSON
@testable import JSONRPC
import XCTest

/// Request ids as the client wrote them: the text an answer carries and the identity that cancellation and
/// duplicate detection match.
final class RequestIDTests: XCTestCase {
    func testEveryJSONRPCIDHasItsTextAsWritten() throws {
        for text in ["7", "-7", "1.5", "2e3", "-0.0", "-0", "0.10", "18446744073709551616", "null"] {
            let value = try JSONParser.parse(text, keepingNumberText: true)
            XCTAssertEqual(RequestID(json: value)?.text, text)
        }
        XCTAssertEqual(RequestID(json: "a\"€")?.text, #""a\"€""#)
        for notAnID: JSONValue in [true, [1], ["a": 1]] { XCTAssertNil(RequestID(json: notAnID)) }
    }

    func testIDsAreTheSameWhenTheirTextIs() throws {
        let a = RequestID(json: try JSONParser.parse("1.50", keepingNumberText: true))
        let b = RequestID(json: try JSONParser.parse("1.50", keepingNumberText: true))
        let c = RequestID(json: try JSONParser.parse("1.5", keepingNumberText: true))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c, "1.50 and 1.5 are different spellings, so different ids")
        XCTAssertEqual(Set([RequestID.int(1), RequestID.int(1), RequestID.string("1")]).count, 2)
    }

    func testStringIDsAreReadFromTheFrameWhenItHasEscapes() throws {
        let body = Array(#"{"jsonrpc":"2.0","id":"a\ud800","method":"$/cancelRequest","params":{"id":"\u0041"}}"#.utf8)
        let v = try JSONParser.parse(body, keepingNumberText: true)
        XCTAssertEqual(v["id"], "a\u{FFFD}", "the decoded string cannot hold a lone surrogate")
        let source = MessageSource(body: body)
        XCTAssertEqual(source.requestID(v["id"], at: ["id"])?.text, #""a\ud800""#)
        XCTAssertEqual(source.requestID(v["params"]["id"], at: ["params", "id"])?.text, #""\u0041""#)

        let batch = Array(#"[{"id":"x"},{"id":"b\/c"}]"#.utf8)
        let elements = try JSONParser.parse(batch, keepingNumberText: true).arrayValue!
        XCTAssertEqual(MessageSource(body: batch).element(1).requestID(elements[1]["id"], at: ["id"])?.text, #""b\/c""#)
        XCTAssertEqual(MessageSource(body: batch).element(0).requestID(elements[0]["id"], at: ["id"])?.text, #""x""#)
    }

    func testInvalidUTF8InAStringIDFallsBackToItsDecodedForm() throws {
        let body: [UInt8] = Array(#"{"id":"\u0041"#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let v = try JSONParser.parse(body, keepingNumberText: true)
        XCTAssertEqual(MessageSource(body: body).requestID(v["id"], at: ["id"])?.text, "\"A\u{FFFD}\"")
    }
}
