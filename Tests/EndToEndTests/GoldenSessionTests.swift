import Foundation
import JSON
import XCTest

/// Replays the example sessions in protocol/examples against the real binary: what the docs show a client
/// sending and receiving is what the server does.
final class GoldenSessionTests: XCTestCase {
    func testShellSessionOverNDJSON() throws { try replay("shell-session.ndjson.txt", framing: .ndjson) }

    func testEditorSessionOverLSP() throws {
        let server = try replay("editor-session.lsp.txt", framing: .lsp)
        XCTAssertEqual(try server.waitForExit(timeout: 10), 0, "exit after shutdown leaves with 0")
    }

    enum Step { case send(JSONValue), expect(JSONValue) }

    @discardableResult
    func replay(_ name: String, framing: ServerProcess.Framing) throws -> ServerProcess {
        let text = try String(contentsOfFile: RunWorkspace.repoRoot + "/protocol/examples/" + name, encoding: .utf8)
        let steps: [Step] = try text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("-> ") { return .send(try JSONParser.parse(String(line.dropFirst(3)))) }
            if line.hasPrefix("<- ") { return .expect(try JSONParser.parse(String(line.dropFirst(3)))) }
            return nil
        }
        XCTAssertGreaterThan(steps.count, 4)
        let root = try ServerProcess.makeTemporaryDirectory(prefix: "bt-golden")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: RunWorkspace.repoRoot + "/docs/examples", toPath: root + "/examples")
        let server = try ServerProcess(arguments: ["--workspace", root], workingDirectory: root, framing: framing)
        for step in steps {
            switch step {
            case .send(let message): try server.send(message)
            case .expect(let pattern):
                // Progress and log lines come and go at their own pace; everything else must come in order.
                let got = try server.waitForFrame(timeout: 30, what: JSONWriter.string(pattern)) { frame in
                    Self.matches(pattern, frame) || !Self.isNoise(frame)
                }
                XCTAssertTrue(Self.matches(pattern, got), "\(name): expected \(JSONWriter.string(pattern)), got \(JSONWriter.string(got))")
            }
        }
        XCTAssertEqual(server.stdoutGarbage, [])
        return server
    }

    static func isNoise(_ frame: JSONValue) -> Bool {
        ["run/log", "run/progress"].contains(frame["method"].stringValue ?? "")
    }

    /// Every member the pattern names is in the value with the same value; "<any>" matches anything.
    static func matches(_ pattern: JSONValue, _ value: JSONValue) -> Bool {
        switch (pattern, value) {
        case (.string("<any>"), _): return true
        case (.object(let p), .object(let v)):
            return p.allSatisfy { key, expected in v[key].map { matches(expected, $0) } ?? false }
        case (.array(let p), .array(let v)):
            return p.count == v.count && zip(p, v).allSatisfy { matches($0, $1) }
        default: return pattern == value
        }
    }
}
