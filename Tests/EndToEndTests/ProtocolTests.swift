import Foundation
import Glibc
import JSON
import XCTest

/// The transport through the built `backtest-rpc` binary: both framings, batches, every error code, the
/// lifecycle and its exit codes, stdout cleanliness. Each test starts its own server in its own empty
/// workspace.
final class ProtocolTests: XCTestCase {
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

    /// After every test: nothing but frames ever reached stdout.
    func assertCleanStdout(_ s: ServerProcess, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.stdoutGarbage, [], "stdout must carry protocol frames only", file: file, line: line)
    }

    // MARK: Framings

    func testNDJSONHealthAndInitialize() throws {
        let s = try start()
        let health = try s.result("health")
        XCTAssertEqual(health["status"], "ok")
        XCTAssertNotNil(health["version"].stringValue)
        XCTAssertNotNil(health["uptime_s"].doubleValue)
        let ini = try s.result("initialize", ["processId": .int(Int64(getpid())), "clientInfo": ["name": "tests"]])
        XCTAssertEqual(ini["serverInfo"]["name"], "backtest-rpc")
        XCTAssertNotNil(ini["protocol_version"].stringValue)
        XCTAssertEqual(ini["capabilities"]["framing"], "ndjson")
        let methods = ini["capabilities"]["methods"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(methods.contains("health"))
        XCTAssertFalse(methods.contains("debug/print"), "test-only methods are not advertised")
        assertCleanStdout(s)
    }

    func testLSPFramingWithMultiByteUTF8CountsBytes() throws {
        let s = try start(framing: .lsp)
        // A string id with €/emoji comes back exactly, and the reply's Content-Length must count bytes: the
        // strict splitter in ServerProcess reports junk otherwise.
        let id: JSONValue = "req-€-😀-ü"
        _ = try s.sendRequest("health", id: id)
        let r = try s.waitForResponse(id: id)
        XCTAssertEqual(r["result"]["status"], "ok")
        let unknown = try s.request("no/such/€😀")
        XCTAssertEqual(code(unknown), -32601)
        XCTAssertEqual(unknown["error"]["data"]["method"], "no/such/€😀")
        XCTAssertEqual(try s.result("initialize")["capabilities"]["framing"], "lsp")
        assertCleanStdout(s)
    }

    func testLSPHeadersAreCaseInsensitiveAndOthersIgnored() throws {
        let s = try start(framing: .lsp)
        let body = "{\"jsonrpc\":\"2.0\",\"id\":\"h€\",\"method\":\"health\"}"
        try s.sendRaw("content-LENGTH:   \(body.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(body)")
        XCTAssertEqual(try s.waitForResponse(id: "h€")["result"]["status"], "ok")
        assertCleanStdout(s)
    }

    func testNDJSONAcceptsCRLFAndBlankLines() throws {
        let s = try start()
        try s.sendRaw("\r\n\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\"}\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"health\"}\r\n")
        XCTAssertEqual(try s.waitForResponse(id: 1)["result"]["status"], "ok")
        XCTAssertEqual(try s.waitForResponse(id: 2)["result"]["status"], "ok")
        assertCleanStdout(s)
    }

    func testFramingOverride() throws {
        let s = try start(["--framing", "lsp"], framing: .lsp)
        XCTAssertEqual(try s.result("health")["status"], "ok")
        assertCleanStdout(s)
    }

    // MARK: Batches

    func testBatchRules() throws {
        let s = try start()
        try s.sendRaw("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\"},{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"},"
                      + "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"nope\"},7]\n")
        let batch = try s.waitForFrame(what: "a batch answer") { $0.arrayValue != nil }.arrayValue!
        XCTAssertEqual(batch.count, 3, "one answer per request, none for the notification")
        XCTAssertEqual(batch[0]["result"]["status"], "ok")
        XCTAssertEqual(batch[1]["id"], "b")
        XCTAssertEqual(code(batch[1]), -32601)
        XCTAssertEqual(code(batch[2]), -32600)

        try s.sendRaw("[]\n")
        let empty = try s.nextFrame()
        XCTAssertEqual(code(empty), -32600)
        XCTAssertEqual(empty["id"], .null)

        // Only notifications: no output at all. The next frame must be the answer to the request after it.
        try s.sendRaw("[{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"},{\"jsonrpc\":\"2.0\",\"method\":\"$/setTrace\"}]\n")
        _ = try s.sendRequest("health", id: "after")
        XCTAssertEqual(try s.nextFrame()["id"], "after")
        assertCleanStdout(s)
    }

    // MARK: Every error code

    func testParseErrorHasNullIDAndServerKeepsServing() throws {
        let s = try start()
        try s.sendRaw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\"\n")
        let r = try s.nextFrame()
        XCTAssertEqual(code(r), -32700)
        XCTAssertEqual(r.objectValue?["id"], .null)
        XCTAssertNotNil(r["error"]["data"]["reason"].stringValue)
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    func testInvalidRequestAndMethodNotFound() throws {
        let s = try start()
        try s.sendRaw("{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"health\"}\n")
        let bad = try s.waitForResponse(id: 5)
        XCTAssertEqual(code(bad), -32600)
        let missing = try s.request("no/such/method")
        XCTAssertEqual(code(missing), -32601)
        XCTAssertEqual(missing["error"]["data"], ["method": "no/such/method"])
        XCTAssertEqual(code(try s.request("$/anything")), -32601, "$/ requests are method-not-found")
    }

    func testInvalidParamsNamesTheField() throws {
        let s = try start()
        let unknown = try s.request("health", ["bogus": 1])
        XCTAssertEqual(code(unknown), -32602)
        XCTAssertEqual(unknown["error"]["data"]["field"], "bogus")
        XCTAssertNotNil(unknown["error"]["data"]["expected"].stringValue)
        let positional = try s.request("health", [1])
        XCTAssertEqual(code(positional), -32602)
        XCTAssertEqual(positional["error"]["data"]["field"], "params")
    }

    func testInternalError() throws {
        // Needs the hidden test method `debug/throw` (throws a non-RPC error) behind --debug-methods.
        let s = try start(["--debug-methods"])
        let r = try s.request("debug/throw")
        XCTAssertEqual(code(r), -32603, "debug/throw missing or wrong: \(JSONWriter.string(r))")
        XCTAssertNotNil(r["error"]["data"]["reason"].stringValue)
        XCTAssertEqual(try s.result("health")["status"], "ok", "the server keeps serving after a bug")
    }

    func testStrictRefusesRequestsBeforeInitialize() throws {
        let s = try start(["--strict"])
        let r = try s.request("health")
        XCTAssertEqual(code(r), -32002)
        XCTAssertEqual(r["error"]["data"], ["method": "health"])
        _ = try s.result("initialize", [:])
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    func testNotStrictByDefault() throws {
        let s = try start()
        XCTAssertEqual(try s.result("health")["status"], "ok")
    }

    func testCancelRequest() throws {
        // Needs the hidden test method `debug/sleep {ms}` (a concurrent method that stops when cancelled).
        let s = try start(["--debug-methods"])
        let id = try s.sendRequest("debug/sleep", ["ms": 30000])
        try s.notify("$/cancelRequest", ["id": id])
        let r = try s.waitForResponse(id: id, timeout: 5)
        XCTAssertEqual(code(r), -32800, "debug/sleep missing or wrong: \(JSONWriter.string(r))")
        XCTAssertEqual(r["error"]["data"], ["id": id])
        // A late cancel is not an error, and nothing else is answered for that id.
        try s.notify("$/cancelRequest", ["id": id])
        XCTAssertEqual(try s.result("health")["status"], "ok")
        XCTAssertEqual(s.frames.filter { $0["id"] == id }.count, 1, "exactly one answer per request")
    }

    func testShuttingDownAndExitZero() throws {
        let s = try start()
        XCTAssertEqual(try s.request("shutdown").objectValue?["result"], .null)
        let r = try s.request("health")
        XCTAssertEqual(code(r), 1001)
        XCTAssertEqual(r["error"]["data"], ["method": "health"])
        try s.notify("exit")
        XCTAssertEqual(try s.waitForExit(), 0)
        assertCleanStdout(s)
    }

    func testExitWithoutShutdownIsOne() throws {
        let s = try start()
        _ = try s.result("health")
        try s.notify("exit")
        XCTAssertEqual(try s.waitForExit(), 1)
    }

    func testMessageTooLargeKeepsTheStreamInSync() throws {
        for framing in [ServerProcess.Framing.ndjson, .lsp] {
            let s = try start(["--max-message-size", "1000"], framing: framing)
            let big: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "health",
                                  "params": ["x": .string(String(repeating: "€", count: 1000))]]
            let size = JSONWriter.encode(big).count
            try s.send(big)
            let r = try s.nextFrame()
            XCTAssertEqual(code(r), 1002, "\(framing)")
            XCTAssertEqual(r.objectValue?["id"], .null)
            XCTAssertEqual(r["error"]["data"], ["size": .int(Int64(size)), "limit": 1000], "\(framing)")
            XCTAssertEqual(try s.result("health")["status"], "ok", "\(framing): still in sync")
            assertCleanStdout(s)
        }
    }

    func testMalformedLSPHeaderResyncs() throws {
        let s = try start(framing: .lsp)
        try s.sendRaw("Content-Type: no length here\r\n\r\n{\"lost\":true}")
        let r = try s.nextFrame()
        XCTAssertEqual(code(r), -32700)
        XCTAssertEqual(r.objectValue?["id"], .null)
        XCTAssertEqual(try s.result("health")["status"], "ok")
        assertCleanStdout(s)
    }

    // MARK: stdout stays clean

    func testStrayPrintDoesNotReachTheClient() throws {
        let s = try start(["--debug-methods"])
        let marker = "STRAY-PRINT-\(UInt32.random(in: 0...UInt32.max))"
        let r = try s.request("debug/print", ["text": .string(marker)])
        XCTAssertNil(r.objectValue?["error"], "debug/print missing or failing: \(JSONWriter.string(r))")
        XCTAssertEqual(try s.result("health")["status"], "ok")
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(), 0)
        assertCleanStdout(s)
        XCTAssertFalse(s.frames.contains { JSONWriter.string($0).contains(marker) && $0["id"] != r["id"] })
        XCTAssertTrue(s.stderr.contains(marker), "the stray print goes to stderr")
    }

    // MARK: End of input and the client process

    func testEOFWithNoRunsExitsZero() throws {
        let s = try start()
        _ = try s.result("health")
        // Requests still in flight at EOF are answered first.
        _ = try s.sendRequest("health", id: "last")
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(timeout: 10), 0)
        XCTAssertEqual(try s.waitForResponse(id: "last", timeout: 1)["result"]["status"], "ok")
        assertCleanStdout(s)
    }

    func testEOFRightAwayExitsZero() throws {
        let s = try start()
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(timeout: 10), 0)
        XCTAssertEqual(s.frames.count, 0)
    }

    func testServerLeavesWhenTheClientProcessDies() throws {
        for viaInitialize in [true, false] {
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("0.5"), nil]
            defer { argv.forEach { free($0) } }
            XCTAssertEqual(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ), 0)
            let s = try start(viaInitialize ? [] : ["--client-pid", String(pid)])
            if viaInitialize { _ = try s.result("initialize", ["processId": .int(Int64(pid))]) }
            else { _ = try s.result("health") }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            // stdin stays open: only the client's death can end the server.
            XCTAssertEqual(try s.waitForExit(timeout: 10), 0, viaInitialize ? "processId" : "--client-pid")
        }
    }
}
