import Foundation
import Glibc
import JSON
import JSONRPC
import XCTest

/// A `JSONRPCServer` running in the test process over two pipes, with a client side that writes raw bytes
/// and reads frames back on a background thread. How the session ended (`serve()`'s answer) is recorded.
final class PipeServer: @unchecked Sendable {
    let server: JSONRPCServer
    /// Client → server (write end).
    private(set) var toServer: Int32
    /// Server → client (read end).
    let fromServer: Int32

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var frames: [JSONValue] = []
    private var garbage: [String] = []
    private var eof = false
    private var exitCodes: [Int32] = []
    private var inputClosedCount = 0
    private var outputClosedCount = 0

    init(registry: MethodRegistry = PipeServer.testRegistry(), options: JSONRPCServer.Options = PipeServer.options(),
         startReading: Bool = true) {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0]
        precondition(pipe(&inPipe) == 0 && pipe(&outPipe) == 0)
        toServer = inPipe[1]
        fromServer = outPipe[0]
        server = JSONRPCServer(registry: registry, options: options,
                               connection: .stdio(inputFD: inPipe[0], outputFD: outPipe[1]))
        if startReading { startReader() }
    }

    static func options(strict: Bool = false, framing: Framing = .auto, max: Int = 1 << 20,
                        droppable: Int = 8 << 20) -> JSONRPCServer.Options {
        .init(strict: strict, framing: framing, maxMessageSize: max, serverName: "test-server",
              serverVersion: "9.9.9", protocolVersion: "1.0", serverDescription: "tests",
              droppableBufferBytes: droppable)
    }

    /// Serves the session on a thread of its own and records how it ended.
    func start() {
        let t = Thread { [self] in
            let ending = server.serve()
            record { s in
                switch ending {
                case .exit(let code): s.exitCodes.append(code)
                case .inputClosed: s.inputClosedCount += 1
                case .outputClosed: s.outputClosedCount += 1
                case .stopped: break
                }
            }
        }
        t.start()
    }

    /// Reads frames from the server's output on a thread, splitting them with the parser under test.
    func startReader() {
        let fd = fromServer
        let t = Thread { [self] in
            var parser = FrameParser()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
                if n <= 0 { break }
                let events = buffer.withUnsafeBytes { b -> [FrameParser.Event] in
                    var out: [FrameParser.Event] = []
                    parser.feed(UnsafeRawBufferPointer(rebasing: b[0..<n])) { out.append($0) }
                    return out
                }
                for e in events {
                    switch e {
                    case .message(let bytes):
                        if let v = try? JSONParser.parse(bytes) { record { $0.frames.append(v) } }
                        else { record { $0.garbage.append(String(decoding: bytes, as: UTF8.self)) } }
                    default: record { $0.garbage.append("\(e)") }
                    }
                }
            }
            record { $0.eof = true }
        }
        t.start()
    }

    private func record(_ change: (PipeServer) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    private func waitFor<T>(timeout: Double, _ pick: (PipeServer) -> T?) -> T? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let v = pick(self) { return v }
            if !condition.wait(until: deadline) { return pick(self) }
        }
    }

    // MARK: Client side

    func send(_ text: String) { sendBytes(Array(text.utf8)) }

    func sendBytes(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(toServer, $0.baseAddress! + off, bytes.count - off) }
            precondition(n > 0, "write to server failed")
            off += n
        }
    }

    func sendLSP(_ body: String) { send("Content-Length: \(body.utf8.count)\r\n\r\n\(body)") }

    func closeInput() {
        close(toServer)
        toServer = -1
    }

    /// The next frame (in arrival order), removing it.
    func next(timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        let v = waitFor(timeout: timeout) { s -> JSONValue? in s.frames.isEmpty ? .none : s.frames.removeFirst() }
        guard let v else {
            XCTFail("no frame within \(timeout) s", file: file, line: line)
            return .null
        }
        return v
    }

    /// The response with `id`, removing it; other frames stay.
    func response(id: JSONValue, timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        let v = waitFor(timeout: timeout) { s -> JSONValue? in
            guard let i = s.frames.firstIndex(where: { $0["id"] == id && $0["method"] == .null }) else { return nil }
            return s.frames.remove(at: i)
        }
        guard let v else {
            XCTFail("no response to id \(JSONWriter.string(id)) within \(timeout) s", file: file, line: line)
            return .null
        }
        return v
    }

    /// Sends a request (NDJSON) and waits for its response.
    func call(_ method: String, _ params: JSONValue? = nil, id: JSONValue = 1,
              file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        var o: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { o["params"] = params }
        send(JSONWriter.string(.object(o)) + "\n")
        return response(id: id, file: file, line: line)
    }

    /// Asserts that nothing (more) arrives within `seconds`.
    func expectSilence(_ seconds: Double = 0.3, file: StaticString = #filePath, line: UInt = #line) {
        if let v = waitFor(timeout: seconds, { s -> JSONValue? in s.frames.first }) {
            XCTFail("unexpected frame \(JSONWriter.string(v))", file: file, line: line)
        }
    }

    var protocolGarbage: [String] { waitFor(timeout: 0) { $0.garbage } ?? [] }

    func waitForExitCode(timeout: Double = 5) -> Int32? { waitFor(timeout: timeout) { $0.exitCodes.first } }

    func waitForInputClosed(timeout: Double = 5) -> Bool {
        waitFor(timeout: timeout) { $0.inputClosedCount > 0 ? true : .none } ?? false
    }

    var inputClosedCalls: Int { waitFor(timeout: 0) { $0.inputClosedCount } ?? 0 }

    func waitForOutputClosed(timeout: Double = 5) -> Bool {
        waitFor(timeout: timeout) { $0.outputClosedCount > 0 ? true : .none } ?? false
    }

    func waitForEOF(timeout: Double = 5) -> Bool { waitFor(timeout: timeout) { $0.eof ? true : .none } ?? false }

    // MARK: The methods the tests call

    /// Gates that tests open to let a blocked handler finish.
    static let gates = Gates()

    static func testRegistry() -> MethodRegistry {
        let r = MethodRegistry()
        r.register(MethodSpec(name: "echo", summary: "Returns value", params: [
            ParamSpec(name: "value", schema: [:], required: true),
        ], result: ["title": "Echo"], execution: .inline)) { p, _ in p["value"]! }
        r.register(MethodSpec(name: "add", summary: "a + b", params: [
            ParamSpec(name: "a", schema: ["type": "integer"], required: true),
            ParamSpec(name: "b", schema: ["type": "integer"], required: true),
        ], result: ["title": "Sum", "type": "integer"])) { p, _ in .int(Int64(p["a"]!.intValue! + p["b"]!.intValue!)) }
        r.register(MethodSpec(name: "typed", summary: "validation", params: [
            ParamSpec(name: "limit", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
            ParamSpec(name: "order", schema: ["enum": ["asc", "desc"]]),
            ParamSpec(name: "status", schema: ["anyOf": [["type": "string"], ["type": "array", "items": ["type": "string"]]]]),
            ParamSpec(name: "env", schema: ["type": "object", "additionalProperties": ["type": "string"]]),
            ParamSpec(name: "note", schema: ["type": "string"]),
        ], result: ["title": "Params"], execution: .inline)) { p, _ in .object(p) }
        r.register(MethodSpec(name: "fail", summary: "application error", result: ["title": "Never"],
                              errors: [ErrorSpec(code: 2001, message: "run not found")], execution: .inline)) { _, _ in
            throw RPCError(code: 2001, message: "run not found", data: ["run_id": "x"])
        }
        r.register(MethodSpec(name: "crash", summary: "a bug", result: ["title": "Never"])) { _, _ in
            throw CocoaError(.fileNoSuchFile)
        }
        r.register(MethodSpec(name: "wait", summary: "waits for a gate or cancellation", params: [
            ParamSpec(name: "gate", schema: ["type": "string"], required: true),
        ], result: ["title": "Waited"])) { p, ctx in
            let gate = p["gate"]!.stringValue!
            while !ctx.isCancelled {
                if gates.isOpen(gate) { return .string("opened") }
                usleep(1000)
            }
            return .string("cancelled but answered anyway")
        }
        r.register(MethodSpec(name: "secret", summary: "hidden", result: ["title": "S"], hidden: true)) { _, _ in "s" }
        r.registerNotificationHandler("note/ping") { p in gates.open(p["gate"]?.stringValue ?? "ping") }
        r.declare(NotificationSpec(name: "run/status", summary: "status changes"))
        return r
    }
}

/// Named one-way gates shared between a test and the handlers it drives.
final class Gates: @unchecked Sendable {
    private let lock = NSLock()
    private var opened: Set<String> = []
    func open(_ name: String) { lock.lock(); opened.insert(name); lock.unlock() }
    func isOpen(_ name: String) -> Bool { lock.lock(); defer { lock.unlock() }; return opened.contains(name) }
}
