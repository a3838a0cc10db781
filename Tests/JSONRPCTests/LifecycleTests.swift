import Foundation
import Glibc
import JSON
import JSONRPC
import XCTest

/// initialize / shutdown / exit / $/cancelRequest / strict mode / end of input / the outbound queue.
final class LifecycleTests: XCTestCase {
    func code(_ v: JSONValue) -> Int? { v["error"]["code"].intValue }

    func testInitializeAnswersServerInfoCapabilitiesAndHookExtras() {
        let s = PipeServer()
        s.server.onInitialize { params in
            if params["rootUri"] == "bad" { throw RPCError(code: 2005, message: "bad root") }
            return ["capabilities": ["workspace": true], "extra": 1]
        }
        s.start()
        defer { s.closeInput() }
        XCTAssertEqual(s.call("initialize", ["rootUri": "bad"])["error"]["code"], 2005)
        XCTAssertFalse(s.server.isInitialized)
        let r = s.call("initialize", ["processId": nil, "clientInfo": ["name": "t"], "trace": "off",
                                      "capabilities": [:]], id: 2)["result"]
        XCTAssertEqual(r["serverInfo"], ["name": "test-server", "version": "9.9.9"])
        XCTAssertEqual(r["protocol_version"], "1.0")
        XCTAssertEqual(r["capabilities"]["framing"], "ndjson")
        XCTAssertEqual(r["capabilities"]["workspace"], true)
        XCTAssertEqual(r["extra"], 1)
        let methods = r["capabilities"]["methods"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertEqual(methods, methods.sorted())
        XCTAssertTrue(methods.contains("add") && methods.contains("initialize") && methods.contains("rpc.discover"))
        XCTAssertFalse(methods.contains("secret"), "hidden methods are not advertised")
        XCTAssertEqual(r["capabilities"]["notifications"], ["run/status"])
        XCTAssertEqual(code(s.call("initialize", id: 3)), -32600, "initialize only once")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}\n")
        s.expectSilence(0.1)
    }

    func testInitializeWithLSPFramingReportsIt() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        s.sendLSP("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}")
        XCTAssertEqual(s.next()["result"]["capabilities"]["framing"], "lsp")
    }

    func testStrictModeRefusesRequestsBeforeInitialize() {
        let s = PipeServer(options: PipeServer.options(strict: true))
        s.start()
        defer { s.closeInput() }
        let r = s.call("echo", ["value": 1])
        XCTAssertEqual(code(r), -32002)
        XCTAssertEqual(r["error"]["data"], ["method": "echo"])
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"note/ping\",\"params\":{\"gate\":\"strict-early\"}}\n")
        XCTAssertEqual(s.call("initialize", id: 2)["result"]["protocol_version"], "1.0")
        XCTAssertEqual(s.call("echo", ["value": 1], id: 3)["result"], 1)
        XCTAssertFalse(PipeServer.gates.isOpen("strict-early"), "notifications before initialize are dropped in strict mode")
    }

    func testNotStrictByDefault() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        XCTAssertEqual(s.call("echo", ["value": 1])["result"], 1)
    }

    func testShutdownThenRequestsAreRefusedAndExitIsZero() {
        let s = PipeServer()
        s.start()
        XCTAssertEqual(s.call("shutdown"), ["jsonrpc": "2.0", "id": 1, "result": nil])
        XCTAssertTrue(s.server.isShuttingDown)
        let r = s.call("echo", ["value": 1], id: 2)
        XCTAssertEqual(code(r), 1001)
        XCTAssertEqual(r["error"]["data"], ["method": "echo"])
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n")
        XCTAssertEqual(s.waitForExitCode(), 0)
        // After exit the server reads nothing more.
        s.send("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\",\"params\":{\"value\":1}}\n")
        s.expectSilence(0.2)
        s.closeInput()
    }

    func testExitWithoutShutdownIsOne() {
        let s = PipeServer()
        s.start()
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}\n")
        XCTAssertEqual(s.waitForExitCode(), 1)
        s.closeInput()
    }

    func testCancelAnswersMinus32800AndTheHandlerSeesIt() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        s.send("{\"jsonrpc\":\"2.0\",\"id\":\"long\",\"method\":\"wait\",\"params\":{\"gate\":\"never\"}}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":\"long\"}}\n")
        let r = s.next()
        XCTAssertEqual(r["id"], "long")
        XCTAssertEqual(code(r), -32800)
        XCTAssertEqual(r["error"]["data"], ["id": "long"])
        // The handler's own late answer is discarded: exactly one answer per request.
        s.expectSilence(0.3)
        // A late cancel (already answered) and an unknown one are not errors.
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":\"long\"}}\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":12345}}\n")
        s.expectSilence(0.1)
        XCTAssertEqual(s.call("add", ["a": 1, "b": 1], id: 5)["result"], 2)
    }

    func testCancelInsideABatchFillsTheSlot() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        s.send("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"wait\",\"params\":{\"gate\":\"never\"}},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":{\"value\":2}}]\n")
        s.send("{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":1}}\n")
        let r = s.next().arrayValue ?? []
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r.first.map(code), -32800)
        XCTAssertEqual(r.last?["result"], 2)
    }

    func testEndOfInputWaitsForRequestsInFlight() {
        let s = PipeServer()
        s.start()
        s.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"wait\",\"params\":{\"gate\":\"eof-gate\"}}\n")
        s.closeInput()
        XCTAssertFalse(s.waitForInputClosed(timeout: 0.3), "hook must wait for the request in flight")
        PipeServer.gates.open("eof-gate")
        XCTAssertEqual(s.next()["result"], "opened")
        XCTAssertTrue(s.waitForInputClosed())
        XCTAssertEqual(s.inputClosedCalls, 1)
    }

    func testEndOfInputWithAPartialLastLineAnswersIt() {
        let s = PipeServer()
        s.start()
        s.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":\"tail\"}}")
        s.closeInput()
        XCTAssertEqual(s.next()["result"], "tail")
        XCTAssertTrue(s.waitForInputClosed())
    }

    func testOutputClosedHookOnEPIPE() {
        signal(SIGPIPE, SIG_IGN)
        let s = PipeServer(startReading: false)
        s.start()
        close(s.fromServer)
        s.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":1}}\n")
        XCTAssertTrue(s.waitForOutputClosed())
        XCTAssertFalse(s.server.notify("run/status", params: [:]), "nothing is queued once the client is gone")
        s.closeInput()
    }

    func testDroppableNotificationsRespectTheBudgetAndOrderIsKept() {
        let s = PipeServer(options: PipeServer.options(droppable: 1000), startReading: false)
        s.start()
        defer { s.closeInput() }
        // Fill the pipe so the writer blocks: a non-droppable message is always queued, however big.
        let big = String(repeating: "b", count: 256 * 1024)
        XCTAssertTrue(s.server.notify("big", params: ["x": .string(big)]))
        var accepted: [Int] = []
        var refused = 0
        for i in 0..<100 {
            if s.server.notify("run/log", params: ["i": .int(Int64(i))], droppable: true) { accepted.append(i) } else { refused += 1 }
            if i == 50 { XCTAssertTrue(s.server.notify("run/status", params: ["after": 50])) }
        }
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(accepted.count, 0)
        XCTAssertLessThan(accepted.count, 100)
        s.startReader()
        XCTAssertEqual(s.next(timeout: 10)["method"], "big")
        var seen: [Int] = []
        var statusAfter: Int?
        while seen.count < accepted.count {
            let f = s.next()
            if f["method"] == "run/status" { statusAfter = seen.count; continue }
            guard let i = f["params"]["i"].intValue else { break }
            seen.append(i)
        }
        XCTAssertEqual(seen, accepted, "FIFO order, nothing accepted was lost")
        if statusAfter == nil { XCTAssertEqual(s.next()["method"], "run/status") }
        s.server.flushAndWait(timeout: 5)
        // Budget is released once written.
        XCTAssertTrue(s.server.notify("run/log", params: ["i": 1000], droppable: true))
    }

    func testNotificationsWithoutParamsOmitTheMember() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        s.server.notify("ping", params: .null)
        XCTAssertEqual(s.next(), ["jsonrpc": "2.0", "method": "ping"])
    }

    func testClientProcessDeathClosesInput() throws {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("0.3"), nil]
        XCTAssertEqual(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ), 0)
        XCTAssertEqual(s.call("initialize", ["processId": .int(Int64(pid))])["result"]["protocol_version"], "1.0")
        XCTAssertEqual(s.server.clientProcessID, pid)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        XCTAssertTrue(s.waitForInputClosed(timeout: 5))
    }

    func testDiscoverReturnsTheRegistryDocument() {
        let s = PipeServer()
        s.start()
        defer { s.closeInput() }
        let doc = s.call("rpc.discover")["result"]
        XCTAssertEqual(doc, JSONRPCServer.discoveryDocument(registry: s.server.registry, options: s.server.options))
        XCTAssertEqual(doc["openrpc"], "1.3.2")
    }
}
