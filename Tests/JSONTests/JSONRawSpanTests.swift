import JSON
import XCTest

/// Locating a value's bytes in a JSON text, for echoing it as it was written.
final class JSONRawSpanTests: XCTestCase {
    func raw(_ path: [JSONRawSpan.Step], _ text: String) -> String? {
        let bytes = Array(text.utf8)
        return JSONRawSpan.locate(path, in: bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    func testMembersAndElements() {
        let text = #" { "jsonrpc" : "2.0", "id" : "a\ud800" , "params":{"id":-0.0,"x":[1,{"y":"\"}"}]}} "#
        XCTAssertEqual(raw([.member("id")], text), #""a\ud800""#)
        XCTAssertEqual(raw([.member("params"), .member("id")], text), "-0.0")
        XCTAssertEqual(raw([.member("params"), .member("x"), .index(1), .member("y")], text), #""\"}""#)
        XCTAssertEqual(raw([.member("params"), .member("x")], text), #"[1,{"y":"\"}"}]"#)
        XCTAssertEqual(raw([], text), String(text.dropFirst().dropLast()))
        let batch = #"[{"id":1},{"id":"\u0041"},{"method":"x"}]"#
        XCTAssertEqual(raw([.index(1), .member("id")], batch), #""\u0041""#)
        XCTAssertNil(raw([.index(2), .member("id")], batch))
        XCTAssertNil(raw([.index(3)], batch))
    }

    func testLastDuplicateAndEscapedNamesAsTheParserReadsThem() {
        XCTAssertEqual(raw([.member("id")], #"{"id":1,"\u0069d":"two"}"#), #""two""#)
    }

    func testNotJSONOrWrongShapeIsNil() {
        XCTAssertNil(raw([.member("id")], #"{"id":"unterminated}"#))
        XCTAssertNil(raw([.member("id")], "[1]"))
        XCTAssertNil(raw([.index(0)], "{}"))
        XCTAssertNil(raw([.member("id")], #"{"id":}"#))
        XCTAssertNil(raw([], ""))
    }

    func testDeepNestingCostsNoStack() {
        let depth = 200_000
        let text = "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + ",\"id\":7}"
        XCTAssertEqual(raw([.member("id")], text), "7")
    }
}
