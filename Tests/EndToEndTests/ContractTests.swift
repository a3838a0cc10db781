import Foundation
import JSON
import TestSupport
import XCTest

/// protocol/openrpc.json is the contract clients in four languages are checked against. It must be exactly
/// what the server's method registry says (regenerate with `backtest-rpc --openrpc > protocol/openrpc.json`),
/// and the guide in docs/protocol.md must name the same methods and notifications.
final class ContractTests: XCTestCase {
    let repo = RunWorkspace.repoRoot

    func checkedIn() throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: repo + "/protocol/openrpc.json") else {
            throw ContractMissing()
        }
        return [UInt8](data)
    }

    func testDiscoverAnswersTheCheckedInDocument() throws {
        let dir = try ServerProcess.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try ServerProcess(arguments: ["--workspace", dir])
        let live = try s.result("rpc.discover")
        XCTAssertEqual(live, try JSONParser.parse(try checkedIn()),
                       "protocol/openrpc.json is stale: run `.build/debug/backtest-rpc --openrpc > protocol/openrpc.json`")
    }

    func testPrintedContractIsByteForByteTheFile() throws {
        let out = try runBinary(["--openrpc"])
        XCTAssertEqual(out, try checkedIn(), "regenerate protocol/openrpc.json with backtest-rpc --openrpc")
    }

    func testGuideNamesEveryMethodAndNotification() throws {
        let doc = try JSONParser.parse(try checkedIn())
        let methods = Set(doc["methods"].arrayValue?.compactMap { $0["name"].stringValue } ?? [])
        let notifications = Set(doc["x-notifications"].arrayValue?.compactMap { $0["name"].stringValue } ?? [])
        XCTAssertTrue(methods.isSuperset(of: ["run", "status", "logs", "list", "cancel", "validate", "results", "read",
                                              "compare", "report", "rerun", "subscribe", "unsubscribe", "health",
                                              "sweep", "delete", "tag"]))
        XCTAssertEqual(notifications, ["run/status", "run/log", "run/progress", "sweep/progress"])
        let guide = try String(contentsOfFile: repo + "/docs/protocol.md", encoding: .utf8)
        for name in methods.union(notifications) {
            XCTAssertTrue(guide.contains("`\(name)`"), "docs/protocol.md does not mention `\(name)`")
        }
        // Every application error code in the contract is documented in the guide's table.
        let codes = (doc["info"]["description"].stringValue ?? "").split(separator: " ").compactMap { Int($0) }
        XCTAssertFalse(codes.isEmpty)
        for code in codes { XCTAssertTrue(guide.contains("| \(code) |"), "docs/protocol.md lacks error \(code)") }
    }

    func testNotificationSchemasAreCurrentAndDescribeRealNotifications() throws {
        let file = repo + "/protocol/notifications.schema.json"
        XCTAssertEqual(try runBinary(["--notification-schemas"]), [UInt8](FileManager.default.contents(atPath: file) ?? Data()),
                       "regenerate with backtest-rpc --notification-schemas > protocol/notifications.schema.json")
        // A real run's notifications, every kind, checked against the schema by an independent validator.
        let ws = try RunWorkspace()
        defer { ws.remove() }
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/strategy_analyzer.py", params: ["end_date": "2024-01-31", "trades": 20])
        try s.waitForStatus(id, "completed")
        let frames = s.frames.filter { $0["method"].stringValue?.hasPrefix("run/") == true }
        XCTAssertEqual(Set(frames.compactMap { $0["method"].stringValue }), ["run/status", "run/log", "run/progress"])
        let captured = ws.root + "/notifications.json"
        try JSONWriter.string(.array(frames)).write(toFile: captured, atomically: true, encoding: .utf8)
        let check = Process()
        // jsonschema comes from the test run's own venv (Tests/tools/requirements.txt), not the user's Python.
        check.executableURL = URL(fileURLWithPath: try Prerequisite.testPython())
        check.arguments = ["-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            for n in json.load(open(sys.argv[2])):
                jsonschema.validate(n, schema)
            print("checked", len(json.load(open(sys.argv[2]))))
            """, file, captured]
        try check.run()
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, "a notification does not match protocol/notifications.schema.json (python3 jsonschema)")
    }

    struct ContractMissing: Error, CustomStringConvertible {
        var description: String { "protocol/openrpc.json is missing: regenerate it with backtest-rpc --openrpc" }
    }

    /// Runs the binary with arguments and returns its stdout.
    func runBinary(_ args: [String]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath())
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return [UInt8](data)
    }
}
