import JSON
@testable import JSONRPC
import XCTest

/// What errors echo of the client's input stays small, whoever built the error.
final class ClientEchoTests: XCTestCase {
    let huge = String(repeating: "x", count: 1_000_000)

    func testLongTextIsCutToItsStartAndSize() {
        XCTAssertEqual(ClientEcho.text("short"), "short")
        XCTAssertEqual(ClientEcho.text(String(repeating: "x", count: 1000)), String(repeating: "x", count: 200) + "…(1000 bytes)")
        XCTAssertEqual(ClientEcho.text(String(repeating: "€", count: 300)), String(repeating: "€", count: 200) + "…(900 bytes)")
        let short = String(repeating: "€", count: 200)  // 600 bytes, but only 200 characters
        XCTAssertEqual(ClientEcho.text(short), short)
    }

    func testGotShowsScalarsCutAndContainersByType() throws {
        XCTAssertEqual(ClientEcho.value(.string(huge)), .string(String(repeating: "x", count: 200) + "…(1000000 bytes)"))
        XCTAssertEqual(ClientEcho.value([1, 2]), "array")
        XCTAssertEqual(ClientEcho.value(["a": 1]), "object")
        let digits = try JSONParser.parse(String(repeating: "9", count: 500), keepingNumberText: true)
        XCTAssertEqual(ClientEcho.value(digits).stringValue?.hasSuffix("…(500 bytes)"), true)
        XCTAssertEqual(ClientEcho.value(5), 5)
    }

    func testTheLayersErrorsEchoCut() {
        for e in [RPCError.methodNotFound(huge), .invalidParams(field: huge, expected: "e", got: .string(huge)),
                  .serverNotInitialized(method: huge), .shuttingDown(method: huge),
                  .requestCancelled(id: .string(huge)), .invalidParams(field: "f", expected: "e", got: .array([.string(huge)]))] {
            XCTAssertLessThan(JSONWriter.encode(e.json).count, 1000, e.message.prefix(40) + "…")
        }
        XCTAssertEqual(RPCError.invalidParams(field: "f", expected: "e", got: .string(huge)).data?["got"].stringValue?.count,
                       200 + "…(1000000 bytes)".count)
    }

    func testEveryErrorSentIsBoundedWhoeverBuiltIt() throws {
        // As a handler might build it (BacktestServer's CoreErrorMapping echoes a run_id in message and data).
        let e = RPCError(code: 2001, message: "no run with id " + huge, data: ["run_id": .string(huge), "more": [.string(huge)]])
        let bytes = MessageEncoder.error(id: .int(1), e)
        XCTAssertLessThan(bytes.count, 3 * (ClientEcho.maxErrorTextBytes + 100))
        let sent = try JSONParser.parse(bytes)
        XCTAssertEqual(sent["error"]["message"].stringValue?.hasSuffix("…(1000015 bytes)"), true)
        XCTAssertEqual(sent["error"]["data"]["run_id"].stringValue?.hasSuffix("…(1000000 bytes)"), true)
        // What no server diagnostic reaches is left alone.
        let path = String(repeating: "/dir", count: 1000)
        XCTAssertEqual(try JSONParser.parse(MessageEncoder.error(id: nil, RPCError(code: 1, message: path)))["error"]["message"], .string(path))
    }

    func testHugeInputThroughTheServerGetsSmallErrors() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        for r in [s.call(huge), s.call("echo", [huge: 1]), s.call("typed", ["order": .string(huge)])] {
            XCTAssertNotNil(r["error"]["code"].intValue)
            XCTAssertLessThan(JSONWriter.encode(r).count, 1000)
        }
    }
}
