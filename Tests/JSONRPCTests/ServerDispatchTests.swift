import Foundation
import Glibc
import JSON
import JSONRPC
import XCTest

/// JSON-RPC 2.0 rules through a real server over pipes, in process: every error code, batches, ids.
final class ServerDispatchTests: XCTestCase {
    var s: PipeServer!

    override func setUp() {
        s = PipeServer()
        s.start()
    }

    override func tearDown() {
        if s.toServer >= 0 { s.closeInput() }
        s = nil
    }

    func code(_ v: JSONValue) -> Int? { v["error"]["code"].intValue }

    func testRequestAndResult() {
        let r = s.call("add", ["a": 2, "b": 40])
        XCTAssertEqual(r, ["jsonrpc": "2.0", "id": 1, "result": 42])
    }

    func testIDsComeBackExactlyAsSent() {
        XCTAssertEqual(s.call("echo", ["value": 1], id: "abc-€")["id"], "abc-€")
        XCTAssertEqual(s.call("echo", ["value": 1], id: .int(Int64.max))["id"], .int(Int64.max))
        XCTAssertEqual(s.call("echo", ["value": 1], id: -7)["id"], -7)
        XCTAssertEqual(s.call("echo", ["value": 1], id: 0)["id"], 0)
        // The raw text of the answer carries the id as written.
        s.send("{\"jsonrpc\":\"2.0\",\"id\":\"0012\",\"method\":\"echo\",\"params\":{\"value\":null}}\n")
        XCTAssertEqual(s.next(), ["jsonrpc": "2.0", "id": "0012", "result": nil])
    }

    func testParseErrorHasNullIDAndOffset() {
        s.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"\n")
        let r = s.next()
        XCTAssertEqual(code(r), -32700)
        XCTAssertEqual(r["id"], .null)
        XCTAssertNotNil(r.objectValue?["id"], "id must be present, as null")
        XCTAssertNotNil(r["error"]["data"]["reason"].stringValue)
        XCTAssertNotNil(r["error"]["data"]["offset"].intValue)
        // The stream is still in sync.
        XCTAssertEqual(s.call("echo", ["value": "after"], id: 2)["result"], "after")
    }

    func testInvalidRequests() {
        // Establish NDJSON framing first: a session starting with `42` would be LSP framing.
        XCTAssertEqual(s.call("echo", ["value": 0], id: 0)["result"], 0)
        let cases: [(String, JSONValue)] = [
            ("42", .null),
            ("\"str\"", .null),
            ("{\"id\":1,\"method\":\"echo\"}", 1),                            // no jsonrpc
            ("{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"echo\"}", 2),        // wrong version
            ("{\"jsonrpc\":\"2.0\",\"id\":3}", 3),                            // no method
            ("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":5}", 4),               // method not a string
            ("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\",\"params\":\"x\"}", 5),
            ("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"echo\"}", .null),
            ("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"echo\"}", .null),
            ("{\"jsonrpc\":\"2.0\",\"method\":1,\"params\":\"bar\"}", .null), // invalid notification: still answered
        ]
        for (text, id) in cases {
            s.send(text + "\n")
            let r = s.next()
            XCTAssertEqual(code(r), -32600, text)
            XCTAssertEqual(r["id"], id, text)
            XCTAssertNotNil(r["error"]["data"]["reason"].stringValue, text)
        }
    }

    func testEmptyBatchIsOneInvalidRequest() {
        s.send("[]\n")
        let r = s.next()
        XCTAssertEqual(code(r), -32600)
        XCTAssertEqual(r["id"], .null)
        XCTAssertNil(r.arrayValue, "one error object, not an array")
    }

    func testScalarFirstMessageMeansLSPFramingSoItIsAHeaderError() {
        s.send("42\n")
        s.sendLSP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":1}}")
        XCTAssertEqual(code(s.next()), -32700)
        XCTAssertEqual(s.next()["result"], 1)
    }

    func testBatchOfInvalidElementsGivesAnErrorEach() {
        s.send("[1,2,3]\n")
        let r = s.next().arrayValue ?? []
        XCTAssertEqual(r.count, 3)
        XCTAssertEqual(r.map(code), [-32600, -32600, -32600])
    }

    func testMixedBatch() {
        s.send("""
        [{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":1,"b":2}},
         {"jsonrpc":"2.0","method":"note/ping","params":{"gate":"batch-note"}},
         {"jsonrpc":"2.0","id":"two","method":"nope"},
         {"foo":"boo"},
         {"jsonrpc":"2.0","id":3,"method":"echo","params":{"value":"x"}},
         {"jsonrpc":"2.0","id":4,"method":"add","params":{"a":"1","b":2}}]

        """.replacingOccurrences(of: "\n ", with: " ") + "\n")
        let r = s.next().arrayValue ?? []
        XCTAssertEqual(r.count, 5, "the notification gets no entry")
        XCTAssertEqual(r[0], ["jsonrpc": "2.0", "id": 1, "result": 3])
        XCTAssertEqual(r[1]["id"], "two")
        XCTAssertEqual(code(r[1]), -32601)
        XCTAssertEqual(code(r[2]), -32600)
        XCTAssertEqual(r[2]["id"], .null)
        XCTAssertEqual(r[3]["result"], "x")
        XCTAssertEqual(code(r[4]), -32602)
        XCTAssertTrue(PipeServer.gates.isOpen("batch-note"))
    }

    func testBatchOfNotificationsOnlyGivesNoOutput() {
        s.send("[{\"jsonrpc\":\"2.0\",\"method\":\"note/ping\",\"params\":{\"gate\":\"n1\"}},{\"jsonrpc\":\"2.0\",\"method\":\"unknown/thing\"}]\n")
        s.expectSilence()
        XCTAssertTrue(PipeServer.gates.isOpen("n1"))
    }

    func testNotificationsAreNeverAnswered() {
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"no/such/method\"}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":{\"a\":\"wrong\"}}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1]}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"$/setTrace\",\"params\":{\"value\":\"off\"}}\n")
        s.expectSilence()
    }

    func testMethodNotFoundAndDollarRequests() {
        var r = s.call("nope")
        XCTAssertEqual(code(r), -32601)
        XCTAssertEqual(r["error"]["data"], ["method": "nope"])
        r = s.call("$/cancelRequest", ["id": 1], id: 2)
        XCTAssertEqual(code(r), -32601)
        r = s.call("rpc.other", id: 3)
        XCTAssertEqual(code(r), -32601)
    }

    func testInvalidParams() {
        func check(_ params: JSONValue, field: String, got: JSONValue?, _ line: UInt = #line) {
            let r = s.call("typed", params)
            XCTAssertEqual(code(r), -32602, line: line)
            XCTAssertEqual(r["error"]["data"]["field"], .string(field), line: line)
            XCTAssertNotNil(r["error"]["data"]["expected"].stringValue, line: line)
            XCTAssertEqual(r["error"]["data"].objectValue?["got"], got, line: line)
        }
        check(["limit": "10"], field: "limit", got: "10")
        check(["limit": 0], field: "limit", got: 0)
        check(["limit": 1001], field: "limit", got: 1001)
        check(["limit": 1.5], field: "limit", got: 1.5)
        check(["order": "up"], field: "order", got: "up")
        check(["status": 3], field: "status", got: 3)
        check(["status": ["a", 1]], field: "status", got: "array")
        check(["env": ["A": 1]], field: "env.A", got: 1)
        check(["bogus": true], field: "bogus", got: true)
        let missing = s.call("add", ["a": 1])
        XCTAssertEqual(code(missing), -32602)
        XCTAssertEqual(missing["error"]["data"]["field"], "b")
        XCTAssertNil(missing["error"]["data"].objectValue?["got"])
        let positional = s.call("add", [1, 2])
        XCTAssertEqual(code(positional), -32602)
        XCTAssertEqual(positional["error"]["data"]["field"], "params")
        // Valid params reach the handler; 5.0 is an integer; null for an optional param means absent.
        let ok = s.call("typed", ["limit": 5.0, "order": "asc", "status": ["a"], "env": ["A": "b"], "note": nil])
        XCTAssertEqual(ok["result"], ["limit": 5.0, "order": "asc", "status": ["a"], "env": ["A": "b"]])
    }

    func testApplicationAndInternalErrors() {
        let r = s.call("fail")
        XCTAssertEqual(r["error"], ["code": 2001, "message": "run not found", "data": ["run_id": "x"]])
        let c = s.call("crash", id: 2)
        XCTAssertEqual(code(c), -32603)
        XCTAssertNotNil(c["error"]["data"]["reason"].stringValue)
        XCTAssertEqual(s.call("echo", ["value": "still serving"], id: 3)["result"], "still serving")
    }

    func testResponsesFromTheClientAreIgnored() {
        s.send("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":1}\n")
        s.expectSilence()
    }

    func testDuplicateIDInFlightIsRefused() {
        s.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"wait\",\"params\":{\"gate\":\"dup\"}}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"wait\",\"params\":{\"gate\":\"dup\"}}\n")
        let first = s.next()
        XCTAssertEqual(code(first), -32600)
        PipeServer.gates.open("dup")
        XCTAssertEqual(s.next()["result"], "opened")
    }

    func testOversizeMessageIsRefusedAndStreamStaysInSync() {
        let small = PipeServer(options: PipeServer.options(max: 200))
        small.start()
        defer { small.closeInput() }
        let big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"" + String(repeating: "x", count: 500) + "\"}}"
        small.send(big + "\n")
        let r = small.next()
        XCTAssertEqual(code(r), 1002)
        XCTAssertEqual(r["id"], .null)
        XCTAssertEqual(r["error"]["data"], ["size": .int(Int64(big.utf8.count)), "limit": 200])
        XCTAssertEqual(small.call("echo", ["value": "ok"], id: 2)["result"], "ok")
    }

    func testOversizeAndMalformedInLSPFraming() {
        let small = PipeServer(options: PipeServer.options(max: 200))
        small.start()
        defer { small.closeInput() }
        small.send("Content-Type: nothing else\r\n\r\n{}")
        let malformed = small.next()
        XCTAssertEqual(code(malformed), -32700)
        XCTAssertEqual(malformed["id"], .null)
        // An oversize frame is scanned over to the next header (whatever lies between is dropped unanswered).
        small.sendLSP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"" + String(repeating: "€", count: 100) + "\"}}")
        XCTAssertEqual(code(small.next()), 1002)
        small.sendLSP("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":{\"value\":\"€😀\"}}")
        XCTAssertEqual(small.next(), ["jsonrpc": "2.0", "id": 2, "result": "€😀"])
        XCTAssertEqual(small.server.framingInUse, .lsp)
    }

    func testLSPLyingContentLengthCostsOnlyItsOwnFrame() {
        // The example: one -32700 for the lie, then the two frames after it.
        func health(_ id: Int) -> String { "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"echo\",\"params\":{\"value\":\(id)}}" }
        s.send("Content-Length: 10\r\n\r\n" + health(1))
        s.sendLSP(health(2))
        s.sendLSP(health(3))
        let lie = s.next()
        XCTAssertEqual(code(lie), -32700)
        XCTAssertEqual(lie.objectValue?["id"], .null)
        XCTAssertEqual(s.next()["id"], 2)
        XCTAssertEqual(s.next()["id"], 3)
        // Too large, absurd, no blank line: each costs one error and nothing after it.
        s.send("Content-Length: 5000\r\n\r\n" + health(4))
        s.sendLSP(health(5))
        XCTAssertEqual(code(s.next()), -32700)
        XCTAssertEqual(s.next()["id"], 5)
        s.send("Content-Length: 999999999999999999\r\n\r\n" + health(6))
        s.sendLSP(health(7))
        XCTAssertEqual(code(s.next()), 1002)
        XCTAssertEqual(s.next()["id"], 7)
        s.send("Content-Length: 60\r\n" + health(8))
        s.sendLSP(health(9))
        XCTAssertEqual(code(s.next()), -32700)
        XCTAssertEqual(s.next()["id"], 9)
        s.expectSilence()
    }

    func testLSPRepliesAreFramedByByteLength() throws {
        // Read the raw bytes of the reply to check the header itself.
        let raw = PipeServer(startReading: false)
        raw.start()
        defer { raw.closeInput() }
        raw.sendLSP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"€😀\"}}")
        let body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"€😀\"}"
        let expected = Array("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while got.count < expected.count {
            let n = buf.withUnsafeMutableBytes { read(raw.fromServer, $0.baseAddress, 4096) }
            guard n > 0 else { break }
            got += buf[0..<n]
        }
        XCTAssertEqual(String(decoding: got, as: UTF8.self), String(decoding: expected, as: UTF8.self))
    }

    func testManyPipelinedRequestsAllAnsweredInOrderForInlineMethods() {
        var text = ""
        for i in 0..<5000 { text += "{\"jsonrpc\":\"2.0\",\"id\":\(i),\"method\":\"echo\",\"params\":{\"value\":\(i)}}\n" }
        s.send(text)
        for i in 0..<5000 {
            let r = s.next()
            XCTAssertEqual(r["id"].intValue, i)
            if r["id"].intValue != i { break }
        }
    }
}
