import BacktestServer
import Foundation
import JSON
@testable import JSONRPC
import TestSupport
import XCTest

/// Every method of the published contract, called for real in one in-process session: its result must
/// match the result schema protocol/openrpc.json gives for it. A method added to the contract without a
/// call here fails the test, so the schemas cannot drift from what handlers return.
final class ResultSchemaTests: XCTestCase {
    func testEveryMethodsRealResultMatchesItsSchemaInTheContract() throws {
        let contract = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.repoRoot + "/protocol/openrpc.json"))))
        var schemas: [String: JSONValue] = [:]
        for m in contract["methods"].arrayValue ?? [] { schemas[m["name"].stringValue ?? ""] = m["result"]["schema"] }
        let ws = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: ws) }
        let server = InProcessServer(workspace: ws)
        var called: [String: [JSONValue]] = [:]
        func call(_ method: String, _ params: JSONValue? = nil) -> JSONValue {
            let r = server.result(method, params)
            called[method, default: []].append(r)
            return r
        }

        _ = call("initialize", ["processId": .null, "rootUri": .null, "capabilities": [:]])
        _ = call("rpc.discover")
        _ = call("health")
        let id = call("run", ["script": "fixtures/scripts/strategy_analyzer.py",
                               "params": ["end_date": "2024-01-31", "trades": 20]])["run_id"]
        XCTAssertNotNil(server.waitForStatus(id.stringValue ?? "", "completed"), "the run did not complete")
        _ = call("status", ["run_id": id])
        _ = call("logs", ["run_id": id, "tail": 5])
        _ = call("list", ["limit": 5])
        _ = call("validate", ["run_id": id])
        _ = call("results", ["run_id": id])
        _ = call("read", ["run_id": id, "path": "summary.csv"])
        _ = call("compare", ["run_ids": [id], "format": "csv"])
        _ = call("report", ["run_id": id])
        let again = call("rerun", ["run_id": id])["run_id"]
        // Only its answer matters here (the fixture's rerun cannot find the generator its captured copy
        // imports by path): wait for it to end either way.
        XCTAssertNotNil(server.client.waitFor(timeout: 30) {
            $0["method"] == "run/status" && $0["params"]["run_id"] == again
                && ["completed", "failed"].contains($0["params"]["status"].stringValue ?? "")
        }, "the rerun did not end")
        _ = call("tag", ["run_id": id, "add": ["checked"]])
        // A sweep answered from the cache (the run above is its entry), its status, report, reruns and deletion.
        let sweep = call("sweep", ["script": "fixtures/scripts/strategy_analyzer.py", "params": ["end_date": "2024-01-31"],
                                   "grid": ["trades": [20]], "cache": "off", "rank_by": "metrics.sharpe"])["sweep_id"]
        _ = call("status", ["sweep_id": sweep])
        XCTAssertNotNil(server.client.waitFor(timeout: 30) {
            $0["method"] == "sweep/progress" && $0["params"]["sweep_id"] == sweep && $0["params"]["completed"] == 1
        }, "the sweep did not complete")
        _ = call("report", ["sweep_id": sweep])
        _ = call("delete", ["sweep_id": sweep])
        let hang = call("run", ["script": "fixtures/scripts/hang.py"])["run_id"]
        _ = call("subscribe", ["run_id": hang])
        _ = call("unsubscribe", ["run_id": hang])
        _ = call("cancel", ["run_id": hang])
        XCTAssertNotNil(server.waitForStatus(hang.stringValue ?? "", "cancelled"))

        _ = call("shutdown")
        XCTAssertEqual(Set(called.keys), Set(schemas.keys), "every method of the contract is called here")
        for (method, results) in called.sorted(by: { $0.key < $1.key }) {
            let schema = try XCTUnwrap(schemas[method], method)
            for result in results {
                if let e = SchemaValidator.validate(result, against: schema, field: "result") {
                    XCTFail("\(method): its result does not match its schema: \(e.message) \(JSONWriter.string(e.data ?? .null))")
                }
            }
        }
        // The check can fail: a result against another method's schema does not pass.
        XCTAssertNotNil(SchemaValidator.validate(called["health"]![0], against: schemas["status"]!, field: "result"))
        XCTAssertNotNil(SchemaValidator.validate(called["list"]![0], against: schemas["logs"]!, field: "result"))
        XCTAssertEqual(server.close(), 0)
    }

    func testCoreErrorsAreMappedInOnePlace() throws {
        let ws = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: ws) }
        let server = InProcessServer(workspace: ws)
        let r = try XCTUnwrap(server.client.request("status", ["run_id": "20000101_000000_000"]))
        XCTAssertEqual(r["error"]["code"], 2001)
        XCTAssertEqual(r["error"]["data"]["run_id"], "20000101_000000_000")
        let bad = try XCTUnwrap(server.client.request("list", ["since": "yesterday"]))
        XCTAssertEqual(bad["error"]["code"], -32602)
        XCTAssertEqual(bad["error"]["data"]["field"], "since")
        XCTAssertEqual(server.close(), 0)
    }

    /// A temp workspace with the repo's fixtures under fixtures/.
    func makeWorkspace() throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bt-server-\(UUID().uuidString.prefix(8))")
            .resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.fixtures, toPath: root + "/fixtures")
        return root
    }
}
