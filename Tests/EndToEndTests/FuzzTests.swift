import Base
import Foundation
import JSON
import XCTest

/// A seeded fuzzer through the built binary. For each framing (NDJSON and LSP) one server gets a fixed
/// number of malformed inputs of every class from a fixed seed; after each class it must still answer
/// `health` correctly, its stdout must carry frames only, it must end cleanly at end of input, and its peak
/// memory (VmHWM) must stay under 64 MB.
///
/// `BACKTEST_FUZZ_INPUTS` sets the number of inputs per framing (default 2400, about 8 s for both framings in a debug build);
/// `BACKTEST_FUZZ_SEED` another seed. A failure names the framing, the class and the seed to replay.
/// Deeper runs of the parsers alone: Tests/Fuzz/run.sh (libFuzzer).
final class FuzzTests: XCTestCase {
    static let defaultInputs = 2400
    static let defaultSeed: UInt64 = 0x5EED_2026
    /// The peak is what the handlers hold at once, not what the session has seen: up to 4 handler threads
    /// each parsing a message of up to 1 MiB into a tree several times its size. Measured at 57–64 MiB on 2
    /// quiet cores (the same before and after the Slurm work) and 68 MiB with both cores also busy, whatever
    /// the total input: 96 MiB leaves room for that, and still fails a server that keeps the ~98 MB it was
    /// sent.
    static let peakMemoryLimit = 96 << 20

    func testMalformedInputNeverCostsTheSession() throws {
        let env = ProcessInfo.processInfo.environment
        let inputs = env["BACKTEST_FUZZ_INPUTS"].flatMap(Int.init) ?? Self.defaultInputs
        let seed = env["BACKTEST_FUZZ_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed
        for framing in [ServerProcess.Framing.ndjson, .lsp] {
            try fuzz(framing: framing, inputs: inputs, seed: seed)
        }
    }

    private func fuzz(framing: ServerProcess.Framing, inputs: Int, seed: UInt64) throws {
        let workspace = try ServerProcess.makeTemporaryDirectory(prefix: "bt-fuzz")
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let s = try ServerProcess(arguments: ["--workspace", workspace, "--max-message-size", String(MalformedInput.messageLimit)],
                                  workingDirectory: workspace, framing: framing)
        let started = Date()
        // A well-formed first message settles the framing (`auto`) the way this session means it.
        XCTAssertEqual(try s.result("health")["status"], "ok")
        var generator = MalformedInput(seed: seed, framing: framing)
        let perClass = max(1, inputs / MalformedInput.Kind.allCases.count)
        var sent = 0, bytes = 0, checks = 0
        /// `health` must be answered correctly. Checked after each class, and whenever a few MB went in:
        /// like an interactive client, the test then waits for the answers, so that the memory measured is
        /// the server's handling of the input, not answers queued for a test that reads slowly (a 1 MB id
        /// is echoed in full, as JSON-RPC requires).
        func checkHealth(_ what: String) throws {
            checks += 1
            let id = try s.sendRequest("health", id: .string("fuzz-check-\(checks)"))
            let answer = try s.waitForResponse(id: id, timeout: 60)
            XCTAssertEqual(answer["result"]["status"], "ok", "\(what): \(JSONWriter.string(answer).prefix(300))")
        }
        for kind in MalformedInput.Kind.allCases {
            let what = "\(framing), class \(kind), seed \(seed)"
            var unchecked = 0
            for _ in 0..<perClass {
                let input = generator.make(kind)
                try s.sendRaw(input)
                sent += 1
                bytes += input.count
                unchecked += input.count
                if unchecked > 4 << 20 {
                    try checkHealth(what)
                    unchecked = 0
                }
            }
            try checkHealth(what)
            XCTAssertTrue(s.isRunning, what)
        }
        let peak = try Self.peakMemory(s.pid)
        s.closeStdin()
        XCTAssertEqual(try s.waitForExit(timeout: 60), 0, "\(framing), seed \(seed): exit at end of input")
        XCTAssertEqual(s.stdoutGarbage, [], "\(framing): stdout carries frames only")
        XCTAssertLessThan(peak, Self.peakMemoryLimit, "\(framing): peak memory (VmHWM)")
        print(String(format: "fuzz %@: %d inputs in %d classes, %d bytes, %d frames answered, %d health checks, %.1f s, "
                     + "VmHWM %.1f MB (seed %llu)", "\(framing)", sent, MalformedInput.Kind.allCases.count, bytes,
                     s.frames.count, checks, Date().timeIntervalSince(started), Double(peak) / 1_048_576, seed))
    }

    /// The process's peak resident set (VmHWM in /proc/<pid>/status), in bytes.
    static func peakMemory(_ pid: pid_t) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw ServerProcess.Failure(description: "no VmHWM in /proc/\(pid)/status")
        }
        return kb * 1024
    }
}

/// The generator: malformed frames and JSON of every class the server must survive, from a seed.
/// Never a lifecycle method (`exit`, `shutdown`, `initialize`) or `run`: the session must go on, and
/// nothing may be started.
struct MalformedInput {
    enum Kind: String, CaseIterable {
        case lyingLength, hugeLength, missingBlankLine, truncatedJSON, invalidUTF8, deepNesting, hugeString,
             wrongTypes, oddIDs, numbers, batches, garbage
    }

    /// The server's `--max-message-size` here: small enough for a quick run and a low memory ceiling, with
    /// huge strings on both sides of it.
    static let messageLimit = 1 << 20

    let framing: ServerProcess.Framing
    private var rng: SplitMix64

    init(seed: UInt64, framing: ServerProcess.Framing) {
        self.framing = framing
        rng = SplitMix64(seed: seed &+ (framing == .lsp ? 1 : 0))
    }

    mutating func make(_ kind: Kind) -> [UInt8] {
        switch kind {
        case .lyingLength: return lyingLength()
        case .hugeLength: return hugeLength()
        case .missingBlankLine: return missingBlankLine()
        case .truncatedJSON:
            let body = request()
            return frame(Array(body.prefix(pick(0..<body.count))))
        case .invalidUTF8: return frame(invalidUTF8())
        case .deepNesting: return frame(deepNesting())
        case .hugeString: return frame(hugeString())
        case .wrongTypes: return frame(Array(wrongTypes().utf8))
        case .oddIDs: return frame(Array(oddID().utf8))
        case .numbers: return frame(Array(numbers().utf8))
        case .batches: return frame(Array(batch().utf8))
        case .garbage: return garbage()
        }
    }

    // MARK: Framing

    /// A body as one well-formed frame of the session's framing (an NDJSON line may still break in two
    /// where the body holds a newline: that is part of the test).
    func frame(_ body: [UInt8]) -> [UInt8] {
        switch framing {
        case .ndjson: return body + [0x0A]
        case .lsp: return Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        }
    }

    /// Raw bytes, ended by a line end in NDJSON so that the next message starts on its own line.
    func raw(_ text: String) -> [UInt8] { raw(Array(text.utf8)) }

    func raw(_ bytes: [UInt8]) -> [UInt8] { framing == .ndjson ? bytes + [0x0A] : bytes }

    mutating func lyingLength() -> [UInt8] {
        let body = request()
        let n = body.count
        let length = [0, 1, n - 1, pick(0..<n), n + pick(1..<60), n + pick(1000..<200_000)][pick(0..<6)]
        return raw(Array("Content-Length: \(length)\r\n\r\n".utf8) + body)
    }

    mutating func hugeLength() -> [UInt8] {
        let digits = String((0..<pick(19..<40)).map { _ in Character(String(pick(0..<10))) })
        let length = [String(Self.messageLimit + 1), "999999999999999999", "1" + digits, "18446744073709551616",
                      String(Int.max), "-1", "0x10", "1e9"][pick(0..<8)]
        return raw(Array("Content-Length: \(length)\r\n\r\n".utf8) + request())
    }

    mutating func missingBlankLine() -> [UInt8] {
        let body = request()
        let headers = ["Content-Length: \(body.count)\r\n", "Content-Length: \(body.count)", "Content-Length: \(body.count)\n",
                       "Content-Type: application/json\r\n", "Content-Length: \(body.count)\r\nContent-Type: x\r\n",
                       "X-Half-A-Header: ", "Content-Len"][pick(0..<7)]
        return raw(Array(headers.utf8) + body)
    }

    // MARK: JSON

    /// A well-formed request of a harmless method.
    mutating func request() -> [UInt8] {
        let method = ["health", "list", "status", "rpc.discover", "no/such/method"][pick(0..<5)]
        let params = method == "status" ? ",\"params\":{\"run_id\":\"20261121_101319_123\"}" : ""
        return Array("{\"jsonrpc\":\"2.0\",\"id\":\(pick(0..<1_000_000)),\"method\":\"\(method)\"\(params)}".utf8)
    }

    mutating func invalidUTF8() -> [UInt8] {
        let bad: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]
        var out: [UInt8] = []
        let place = pick(0..<4)
        out += Array("{\"jsonrpc\":\"2.0\",\"id\":\"".utf8) + (place == 0 ? bad[pick(0..<bad.count)] : []) + Array("\",\"method\":\"".utf8)
        out += (place == 1 ? bad[pick(0..<bad.count)] : []) + Array("health\",\"params\":{\"".utf8)
        out += (place == 2 ? bad[pick(0..<bad.count)] : []) + Array("k\":\"".utf8) + (place == 3 ? bad[pick(0..<bad.count)] : [])
        out += Array("\"}}".utf8)
        return out
    }

    mutating func deepNesting() -> [UInt8] {
        let depth = [100, 511, 512, 513, 1000, 10_000, 100_000][pick(0..<7)]
        let (open, close): (String, String) = pick(0..<2) == 0 ? ("[", "]") : ("{\"a\":", "}")
        let inner = String(repeating: open, count: depth) + "1" + String(repeating: close, count: pick(0..<2) == 0 ? depth : depth / 2)
        return Array(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\",\"params\":{\"x\":" + inner + "}}").utf8)
    }

    mutating func hugeString() -> [UInt8] {
        let size = [1000, 100_000, 500_000, Self.messageLimit - 100, Self.messageLimit + 100][pick(0..<5)]
        let text = String(repeating: ["x", "€", "\\n", "\\u00e9"][pick(0..<4)], count: size / 4)
        let place = pick(0..<4)
        switch place {
        case 0: return Array("{\"jsonrpc\":\"2.0\",\"id\":\"\(text)\",\"method\":\"health\"}".utf8)
        case 1: return Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(text)\"}".utf8)
        case 2: return Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"run_id\":\"\(text)\"}}".utf8)
        default: return Array("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"list\",\"params\":{\"\(text)\":1}}".utf8)
        }
    }

    /// Any small JSON value, for members that expect something else.
    mutating func anyValue(depth: Int = 0) -> String {
        switch pick(0..<(depth > 2 ? 6 : 8)) {
        case 0: return "null"
        case 1: return ["true", "false"][pick(0..<2)]
        case 2: return String(pick(0..<1000) - 500)
        case 3: return ["1.5", "-0.0", "1e400", "2e3"][pick(0..<4)]
        case 4: return "\"" + ["", "2.0", "health", "x\\u0000y", "\\ud800"][pick(0..<5)] + "\""
        case 5: return "\"\(pick(0..<100))\""
        case 6: return "[" + (0..<pick(0..<4)).map { _ in anyValue(depth: depth + 1) }.joined(separator: ",") + "]"
        default: return "{" + (0..<pick(0..<4)).map { "\"k\($0)\":" + anyValue(depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }

    mutating func wrongTypes() -> String {
        var members: [String] = []
        if pick(0..<4) > 0 { members.append("\"jsonrpc\":" + (pick(0..<2) == 0 ? "\"2.0\"" : anyValue())) }
        if pick(0..<4) > 0 { members.append("\"method\":" + (pick(0..<2) == 0 ? "\"health\"" : anyValue())) }
        if pick(0..<2) == 0 { members.append("\"params\":" + anyValue()) }
        if pick(0..<4) > 0 { members.append("\"id\":" + anyValue()) }
        if pick(0..<8) == 0 { members.append("\"result\":" + anyValue()) }
        return pick(0..<10) == 0 ? anyValue() : "{" + members.shuffled(using: &rng).joined(separator: ",") + "}"
    }

    /// Ids JSON-RPC allows in forms few clients send, as requests and as the target of a cancel.
    mutating func oddID() -> String {
        let ids = ["1.5", "2e3", "-0.0", "-0", "1E+2", "0.10", "1e400", "-1e-400", "18446744073709551616",
                   "123456789012345678901234567890", "null", "\"a\\ud800\"", "\"\\udc00\"", "\"\\u0000\"", "\"\"",
                   "\"\\\"\\\\\\/\"", "\"" + String(repeating: "i", count: pick(0..<5000)) + "\""]
        let id = ids[pick(0..<ids.count)]
        switch pick(0..<3) {
        case 0: return "{\"jsonrpc\":\"2.0\",\"method\":\"$/cancelRequest\",\"params\":{\"id\":\(id)}}"
        case 1: return "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"no/such\"}"
        default: return "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"health\"}"
        }
    }

    /// Numbers out of every range, as params the schemas check.
    mutating func numbers() -> String {
        let value = ["1e16", "9007199254740993", "-9007199254740993", "1e400", "-1e400", "1.5", "-1",
                     String(repeating: "9", count: pick(1..<3000)), "0." + String(repeating: "0", count: 500) + "1"][pick(0..<9)]
        let (method, params) = [("list", "{\"offset\":\(value)}"), ("list", "{\"limit\":\(value)}"),
                                ("logs", "{\"run_id\":\"x\",\"after_seq\":\(value)}"),
                                ("read", "{\"run_id\":\"x\",\"path\":\"p\",\"offset\":\(value)}")][pick(0..<4)]
        return "{\"jsonrpc\":\"2.0\",\"id\":\(pick(0..<1000)),\"method\":\"\(method)\",\"params\":\(params)}"
    }

    mutating func batch() -> String {
        switch pick(0..<5) {
        case 0: return "[]"
        case 1: return "[" + (0..<pick(1..<5)).map { _ in anyValue() }.joined(separator: ",") + "]"
        case 2: return "[[]]"
        case 3:
            return "[" + (0..<pick(1..<100)).map { n -> String in
                switch pick(0..<4) {
                case 0: return String(decoding: request(), as: UTF8.self)
                case 1: return "{\"jsonrpc\":\"2.0\",\"method\":\"initialized\"}"
                case 2: return wrongTypes()
                default: return "{\"jsonrpc\":\"2.0\",\"id\":\"b\(n)\",\"method\":\"health\"}"
                }
            }.joined(separator: ",") + "]"
        default: return "[" + String(decoding: request(), as: UTF8.self) + ","  // unterminated
        }
    }

    // MARK: Bytes

    mutating func garbage() -> [UInt8] {
        let n = pick(1..<4096)
        switch pick(0..<3) {
        case 0: return raw((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case 1: return raw((0..<n).map { _ in UInt8(pick(0x20..<0x7F)) })
        default:
            // Pieces of frames: the parser's own vocabulary in a random order.
            let pieces = ["Content-Length:", " ", "\r\n", "\n", "\r\n\r\n", "0", "42", "999999", "{", "}", "[", "]",
                          "\"", "\\", ":", ",", "Content-Type: x", "content-length: 7"]
            return raw(Array((0..<pick(1..<200)).map { _ in pieces[pick(0..<pieces.count)] }.joined().utf8))
        }
    }

    private mutating func pick(_ range: Range<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.count))
    }
}

