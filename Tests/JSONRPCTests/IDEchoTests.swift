import Foundation
import Glibc
import JSON
import JSONRPC
import XCTest

/// Ids through a real server over pipes, read back as raw bytes: every id JSON-RPC 2.0 allows comes back
/// exactly as the client wrote it, and `$/cancelRequest` and duplicate detection match ids by that text.
final class IDEchoTests: XCTestCase {
    var s: PipeServer!
    var lines: RawLines!

    override func setUp() {
        s = PipeServer(startReading: false)
        s.start()
        lines = RawLines(fd: s.fromServer)
    }

    override func tearDown() {
        if s.toServer >= 0 { s.closeInput() }
        s = nil
    }

    /// The issue's ids, null, and strings whose escapes a re-encoding would change.
    static let ids = ["1.5", "2e3", "-0.0", "-0", "18446744073709551616", "1E+2", "0.10", "7", "null",
                      #""a\ud800""#, #""\u0041""#, #""a\"b\/c""#, #""€😀""#]

    func request(_ id: String, _ method: String, _ params: String) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"# + "\n"
    }

    func testEveryIDComesBackAsWritten() {
        for id in Self.ids {
            s.send(request(id, "echo", #"{"value":1}"#))
            XCTAssertEqual(lines.next(), #"{"jsonrpc":"2.0","id":\#(id),"result":1}"#, id)
            // Errors carry it too.
            s.send(request(id, "echo", #"{"nope":1}"#))
            XCTAssertEqual(lines.next()?.hasPrefix(#"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32602"#), true, id)
        }
    }

    func testIDsInABatchComeBackAsWritten() {
        let batch = Self.ids.map { request($0, "echo", #"{"value":0}"#).dropLast() }.joined(separator: ",")
        s.send("[" + batch + "]\n")
        XCTAssertEqual(lines.next(), "[" + Self.ids.map { #"{"jsonrpc":"2.0","id":\#($0),"result":0}"# }.joined(separator: ",") + "]")
    }

    func testCancelFindsTheRequestByTheIDAsWritten() {
        for (n, id) in ["1.5", "2e3", "-0.0", "18446744073709551616", "null", #""a\ud800""#].enumerated() {
            s.send(request(id, "wait", #"{"gate":"id-cancel-\#(n)"}"#))
            s.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":\#(id)}}"# + "\n")
            let line = lines.next() ?? ""
            XCTAssertTrue(line.hasPrefix(#"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32800,"message":"Request cancelled","data":{"id":"#),
                          "\(id): \(line)")
        }
        // Another spelling of the same number is another id: the request runs on and answers.
        s.send(request("1.50", "wait", #"{"gate":"id-cancel-other"}"#))
        s.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1.5}}"# + "\n")
        PipeServer.gates.open("id-cancel-other")
        XCTAssertEqual(lines.next(), #"{"jsonrpc":"2.0","id":1.50,"result":"opened"}"#)
    }

    func testDuplicateIDsInFlightAreRefusedByTheirText() {
        for (n, id) in ["2e3", "null", #""a\ud800""#].enumerated() {
            let gate = "id-dup-\(n)"
            s.send(request(id, "wait", #"{"gate":"\#(gate)"}"#))
            s.send(request(id, "wait", #"{"gate":"\#(gate)"}"#))
            let refused = lines.next() ?? ""
            XCTAssertTrue(refused.hasPrefix(#"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32600"#), "\(id): \(refused)")
            PipeServer.gates.open(gate)
            XCTAssertEqual(lines.next(), #"{"jsonrpc":"2.0","id":\#(id),"result":"opened"}"#, id)
        }
    }

    func testAResponseWithANullIDIsNotAnswered() {
        s.send(#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}"# + "\n")
        s.send(request("9", "echo", #"{"value":"after"}"#))
        XCTAssertEqual(lines.next(), #"{"jsonrpc":"2.0","id":9,"result":"after"}"#)
    }
}

/// Newline-terminated lines read raw from a descriptor, to see the bytes the server wrote.
final class RawLines {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// The next line without its newline, or nil after `timeout` seconds or at end of output.
    func next(timeout: Double = 5) -> String? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                return line
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(max(0, deadline.timeIntervalSinceNow * 1000))) > 0 else { return nil }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return nil }
            buffer += chunk[0..<n]
        }
    }
}
