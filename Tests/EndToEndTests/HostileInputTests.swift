import Foundation
import JSON
import XCTest

/// The issue "Hardening" through the built binary: lying and absurd Content-Lengths, ids of every form
/// JSON-RPC 2.0 allows, integers past 2^53, huge echoes. (The seeded fuzzer is FuzzTests.)
final class HostileInputTests: XCTestCase {
    var workspace: String!

    override func setUpWithError() throws {
        workspace = try ServerProcess.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let workspace { try? FileManager.default.removeItem(atPath: workspace) }
    }

    func start(_ args: [String] = [], framing: ServerProcess.Framing = .ndjson) throws -> ServerProcess {
        try ServerProcess(arguments: ["--workspace", workspace] + args, workingDirectory: workspace, framing: framing)
    }

    func code(_ v: JSONValue) -> Int? { v["error"]["code"].intValue }

    func health(_ id: Int) -> String { "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"health\"}" }

    func lsp(_ body: String) -> String { "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" }

    /// Splits raw LSP output into bodies with the tests' own strict splitter.
    func lspBodies(_ r: RawSession.Result) -> [String] {
        var splitter = FrameSplitter(framing: .lsp)
        let (frames, junk) = splitter.feed(r.stdout)
        XCTAssertEqual(junk + splitter.finish(), [], "stdout carries frames only")
        return frames.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Content-Length lies

    func testTheIssuesLyingLengthAnswersOneParseErrorThenTheNextFrames() throws {
        let input = "Content-Length: 10\r\n\r\n" + health(1) + lsp(health(2)) + lsp(health(3))
        let r = try RawSession.run(Array(input.utf8), arguments: ["--workspace", workspace])
        XCTAssertEqual(r.status, 0)
        let bodies = lspBodies(r)
        XCTAssertEqual(bodies.count, 3, r.text)
        XCTAssertTrue(bodies[0].hasPrefix("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700"), bodies[0])
        XCTAssertTrue(bodies[1].hasPrefix("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"status\":\"ok\""), bodies[1])
        XCTAssertTrue(bodies[2].hasPrefix("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"status\":\"ok\""), bodies[2])
    }

    func testEveryKindOfLyingLengthCostsOnlyItsOwnFrame() throws {
        // Interactive: after each lie the client waits for its next request's answer, with no end of input
        // to flush anything out.
        let s = try start(framing: .lsp)
        let body = health(0)
        let lies = [
            "Content-Length: 0\r\n\r\n" + body,                              // too small
            "Content-Length: 1\r\n\r\n" + body,
            "Content-Length: \(body.utf8.count - 1)\r\n\r\n" + body,         // one byte short
            "Content-Length: \(body.utf8.count + 3)\r\n\r\n" + body,         // swallows part of the next header
            "Content-Length: 100000\r\n\r\n" + body,                        // far too large
            "Content-Length: \(body.utf8.count)\r\n" + body,                 // no blank line
            "Content-Length: \(body.utf8.count)" + body,                     // no line end at all
            "X-Junk: half a header",                                         // runs into the next header
        ]
        for (n, lie) in lies.enumerated() {
            try s.sendRaw(lie)
            let id = try s.sendRequest("health")
            XCTAssertEqual(try s.waitForResponse(id: id)["result"]["status"], "ok", "after lie \(n): \(lie.debugDescription)")
        }
        let errors = s.frames.filter { $0["error"] != .null }
        XCTAssertEqual(errors.count, lies.count, "one error per lie: \(errors.map { JSONWriter.string($0) })")
        XCTAssertTrue(errors.allSatisfy { code($0) == -32700 && $0.objectValue?["id"] == .null })
        XCTAssertEqual(s.stdoutGarbage, [])
    }

    func testAnAbsurdLengthDoesNotDeafenTheSession() throws {
        let s = try start(framing: .lsp)
        try s.sendRaw("Content-Length: 999999999999999999\r\n\r\n" + health(1))
        let tooLarge = try s.nextFrame()
        XCTAssertEqual(code(tooLarge), 1002)
        XCTAssertEqual(tooLarge["error"]["data"]["size"], .int(999_999_999_999_999_999))
        XCTAssertEqual(try s.result("health")["status"], "ok")
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    func testEndOfInputInsideABodyEndsTheSessionCleanly() throws {
        let r = try RawSession.run(Array(("Content-Length: 1000\r\n\r\n" + health(1)).utf8), arguments: ["--workspace", workspace])
        XCTAssertEqual(r.status, 0)
        XCTAssertLessThanOrEqual(lspBodies(r).count, 1)
    }

    // MARK: Ids

    /// Every id form JSON-RPC 2.0 allows, as a client may spell it.
    static let ids = ["1.5", "2e3", "-0.0", "18446744073709551616", "null", "0.10", "-0", #""a\ud800""#, #""\u00e9""#]

    func testEveryIDIsEchoedAsWritten() throws {
        let input = Self.ids.map { "{\"jsonrpc\":\"2.0\",\"id\":\($0),\"method\":\"health\"}\n" }.joined()
            + Self.ids.map { "{\"jsonrpc\":\"2.0\",\"id\":\($0),\"method\":\"no/such\"}\n" }.joined()
        let r = try RawSession.run(Array(input.utf8), arguments: ["--workspace", workspace])
        XCTAssertEqual(r.status, 0)
        let lines = r.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2 * Self.ids.count, r.text)
        for (line, id) in zip(lines, Self.ids + Self.ids) {
            XCTAssertTrue(line.hasPrefix("{\"jsonrpc\":\"2.0\",\"id\":\(id),"), "\(id): \(line)")
        }
    }

    func testCancelAndDuplicatesWorkWithEveryIDForm() throws {
        let s = try start(["--debug-methods"])
        for (id, parsed) in [("2e3", JSONValue.double(2000)), ("null", .null), (#""a\ud800""#, "a\u{FFFD}"),
                             ("18446744073709551616", .double(18446744073709551616))] {
            let sleep = "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"debug/sleep\",\"params\":{\"ms\":30000}}\n"
            try s.sendRaw(sleep + sleep)
            let duplicate = try s.waitForResponse(id: parsed)
            XCTAssertEqual(code(duplicate), -32600, "\(id): \(JSONWriter.string(duplicate))")
            try s.sendRaw("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":\(id)}}\n")
            let cancelled = try s.waitForResponse(id: parsed, timeout: 5)
            XCTAssertEqual(code(cancelled), -32800, "\(id): \(JSONWriter.string(cancelled))")
            XCTAssertEqual(cancelled["error"]["data"]["id"], parsed)
        }
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    // MARK: Integers past 2^53

    func testIntegersPast2To53AreInvalidParamsNotAbsent() throws {
        let s = try start()
        let cases: [(String, String, String)] = [
            ("read", "{\"run_id\":\"x\",\"path\":\"p\",\"offset\":1e16}", "offset"),
            ("logs", "{\"run_id\":\"x\",\"after_seq\":1e16}", "after_seq"),
            ("list", "{\"offset\":1e16}", "offset"),
            ("list", "{\"offset\":9007199254740993}", "offset"),
            ("list", "{\"limit\":-1e300}", "limit"),
        ]
        for (n, (method, params, field)) in cases.enumerated() {
            try s.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":\"big-\(n)\",\"method\":\"\(method)\",\"params\":\(params)}\n")
            let r = try s.waitForResponse(id: .string("big-\(n)"))
            XCTAssertEqual(code(r), -32602, "\(method) \(params): \(JSONWriter.string(r))")
            XCTAssertEqual(r["error"]["data"]["field"], .string(field))
            XCTAssertNotNil(r["error"]["data"]["expected"].stringValue)
            XCTAssertNotNil(r["error"]["data"]["got"].doubleValue, "got echoes the number")
        }
        // At the bound it is still an integer (a run that does not exist, not a params error).
        XCTAssertEqual(code(try s.request("read", ["run_id": "x", "path": "p", "offset": 9_007_199_254_740_992])), 2001)
        XCTAssertEqual(try s.result("list", ["offset": 9_007_199_254_740_992])["runs"], [])
    }

    // MARK: Echoes

    func testHugeInputIsEchoedCut() throws {
        let s = try start()
        let huge = String(repeating: "x", count: 2_000_000)
        for r in [try s.request("status", ["run_id": .string(huge)]), try s.request(huge),
                  try s.request("list", [huge: 1]), try s.request("list", ["order": .string(huge)])] {
            XCTAssertNotNil(code(r), JSONWriter.string(r).prefix(300) + "…")
            XCTAssertLessThan(JSONWriter.encode(r).count, 10_000, "error \(code(r) ?? 0) echoes too much")
        }
    }
}
