import BacktestCore
import Foundation
import JSON
import TestSupport
import XCTest

/// `list` and `compare` with `where` and `order_by` in an in-process session, over finished runs written
/// straight into the workspace (run.json and index, as a supervisor leaves them).
final class ListSearchTests: XCTestCase {
    private var root = ""
    private var ids: [String] = []

    /// Six completed runs: fast 10/20/10.0/"10"(text)/30/none, sharpe 0.5 ... 3 (one without).
    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bt-search-\(UUID().uuidString.prefix(8))")
            .resolvingSymlinksInPath().path
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try FileManager.default.createDirectory(atPath: layout.stateDir, withIntermediateDirectories: true)
        let store = RunStore(layout: layout, index: try RunIndex(path: layout.index))
        let fast: [JSONValue?] = [10, 20, try JSONParser.parse("10.0", keepingNumberText: true), "10", 30, nil]
        let sharpe: [Double?] = [0.5, 2, 1.5, 3, nil, 1.2]
        ids = []
        for n in 0..<6 {
            let id = "20300101_0000\(10 + n)_000", paths = layout.run(id)
            try FileManager.default.createDirectory(atPath: paths.results, withIntermediateDirectories: true)
            var r = RunRecord(runID: id, script: "s.py", params: fast[n].map { ["fast": $0] } ?? [:], status: .completed,
                              createdAt: 1_893_456_000_000 + Int64(n) * 1000, runDir: paths.runDir, outputDir: paths.results)
            r.metrics = sharpe[n].map { ["sharpe": .double($0)] }
            r.tags = n % 2 == 0 ? ["nightly"] : []
            try store.save(r)
            ids.append(id)
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testWhereAndOrderBySelectAndSort() throws {
        let server = InProcessServer(workspace: root)
        let page = server.result("list", ["where": "params.fast = 10 or metrics.sharpe > 1.4", "order_by": "metrics.sharpe desc",
                                          "limit": 3])
        XCTAssertEqual(page["total"], 4)
        XCTAssertEqual(page["runs"].arrayValue?.map { $0["run_id"] }, [ids[3], ids[1], ids[2]].map(JSONValue.string))
        let rest = server.result("list", ["where": "params.fast = 10 or metrics.sharpe > 1.4", "order_by": "metrics.sharpe desc",
                                          "offset": 3])
        XCTAssertEqual(rest["runs"].arrayValue?.map { $0["run_id"] }, [.string(ids[0])])
        // Combined with the filters list had before.
        let nightly = server.result("list", ["tag": "nightly", "where": "metrics.sharpe != null", "order": "asc"])
        XCTAssertEqual(nightly["runs"].arrayValue?.map { $0["run_id"] }, [ids[0], ids[2]].map(JSONValue.string))
        // compare selects its runs with the same query.
        let table = server.result("compare", ["where": "params.fast = 10", "order_by": "created_at"])
        XCTAssertEqual(table["rows"].arrayValue?.map { $0["run_id"] }, [ids[0], ids[2], ids[3]].map(JSONValue.string))
        XCTAssertEqual(server.close(), 0)
    }

    func testBadSearchesAreInvalidParamsWithAPosition() throws {
        let server = InProcessServer(workspace: root)
        let bad = try XCTUnwrap(server.client.request("list", ["where": "metrics.sharpe >> 1"]))
        XCTAssertEqual(bad["error"]["code"], -32602)
        XCTAssertEqual(bad["error"]["data"]["field"], "where")
        XCTAssertEqual(bad["error"]["data"]["position"], 16)
        XCTAssertEqual(bad["error"]["data"]["got"], ">")
        XCTAssertTrue(bad["error"]["data"]["expected"].stringValue?.hasPrefix("a value") == true, "\(bad)")

        let badOrder = try XCTUnwrap(server.client.request("compare", ["order_by": "metrics.sharpe sideways"]))
        XCTAssertEqual(badOrder["error"]["code"], -32602)
        XCTAssertEqual(badOrder["error"]["data"]["field"], "order_by")
        XCTAssertEqual(badOrder["error"]["data"]["position"], 15)

        let both = try XCTUnwrap(server.client.request("list", ["order": "asc", "order_by": "metrics.sharpe"]))
        XCTAssertEqual(both["error"]["code"], -32602)
        let message = both["error"]["message"].stringValue ?? ""
        XCTAssertTrue(message.contains("order ") && message.contains("order_by"), message)
        XCTAssertEqual(both["error"]["data"]["field"], "order_by")
        XCTAssertEqual(both["error"]["data"]["conflicts_with"], "order")

        let named = try XCTUnwrap(server.client.request("compare", ["run_ids": [.string(ids[0])], "where": "tags.nightly"]))
        XCTAssertEqual(named["error"]["code"], -32602)
        XCTAssertEqual(named["error"]["data"]["field"], "where")
        XCTAssertEqual(server.close(), 0)
    }
}
