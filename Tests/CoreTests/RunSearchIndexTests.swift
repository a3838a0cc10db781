@testable import BacktestCore
import Base
import JSON
import XCTest

/// Searches over the index (`where`, `order_by`): numbers by value, runs lacking a sort key last, filters
/// combined with the list filters and paging, values replaced with their record, and indexes used.
final class RunSearchIndexTests: XCTestCase {
    private var root = ""
    private var layout: WorkspaceLayout!
    private var index: RunIndex!
    private let base: Int64 = 1_800_000_000_000

    override func setUpWithError() throws {
        root = try WorkspaceTestSupport.makeRoot()
        layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        try? FileSystem.makeDirectories(layout.stateDir)
        index = try RunIndex(path: layout.index)
    }

    override func tearDown() { index = nil; WorkspaceTestSupport.remove(root) }

    /// A completed run `n` seconds after `base`, with these params and metrics.
    private func record(_ n: Int, params: JSONObject = [:], metrics: JSONObject? = nil, status: RunStatus = .completed,
                        tags: [String] = []) -> RunRecord {
        let t = base + Int64(n) * 1000
        var r = WorkspaceTestSupport.record(layout, id: ISOTime.runIDStem(millis: t), status: status, tags: tags, createdAt: t)
        r.params = params
        r.metrics = metrics
        return r
    }

    private func ids(_ filter: String, order: String? = nil, limit: Int = 1000, offset: Int = 0,
                     file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        try index.query(RunQuery(filter: try RunFilter.parse(filter), order: try order.flatMap(RunOrder.parse),
                                 limit: limit, offset: offset)).runs.map(\.runID)
    }

    /// A number as a client wrote it (`10.0` stays `10.0` in the record).
    private func written(_ text: String) throws -> JSONValue { try JSONParser.parse(text, keepingNumberText: true) }

    func testNumbersCompareByValueAndNumericTextsToo() throws {
        let runs = [
            record(0, params: ["fast": 10]),
            record(1, params: ["fast": try written("10.0")]),
            record(2, params: ["fast": "10"]),        // from a command line: text
            record(3, params: ["fast": "10.5"]),
            record(4, params: ["fast": "abc"]),
            record(5, params: ["slow": 10]),          // no fast at all
            record(6, params: ["fast": true]),
            record(7, params: ["fast": "1e1"]),
        ]
        index.upsert(runs)
        let id = runs.map(\.runID)
        XCTAssertEqual(try ids("params.fast = 10"), [id[7], id[2], id[1], id[0]])
        XCTAssertEqual(try ids("params.fast = 10.0"), [id[7], id[2], id[1], id[0]])
        XCTAssertEqual(try ids("params.fast = '10'"), [id[2], id[0]], "a string compares as text: 10 is written 10")
        XCTAssertEqual(try ids("params.fast = '10.0'"), [id[1]])
        XCTAssertEqual(try ids("params.fast > 9.99"), [id[7], id[3], id[2], id[1], id[0]])
        XCTAssertEqual(try ids("params.fast != 10"), [id[6], id[4], id[3]], "!= needs the key")
        XCTAssertEqual(try ids("params.fast = null"), [id[5]])
        XCTAssertEqual(try ids("params.fast != null").count, 7)
        XCTAssertEqual(try ids("params.fast in (10.5, 'abc', null)"), [id[5], id[4], id[3]])
        XCTAssertEqual(try ids("params.fast = true"), [id[6]])
        XCTAssertEqual(try ids("params.fast = 'true'"), [id[6]], "true and false compare as text")
        XCTAssertEqual(try ids("params.fast < 'b'"), [id[7], id[4], id[3], id[2], id[1], id[0]], "strings compare as text")
        XCTAssertEqual(try ids("params.fast = 10 and params.slow = 10"), [])
        XCTAssertEqual(try ids("params.fast = 10 or params.slow = 10"), [id[7], id[5], id[2], id[1], id[0]])
    }

    func testEveryFieldAndTheListFiltersCombine() throws {
        var runs: [RunRecord] = []
        for n in 0..<30 {
            var r = record(n, params: ["fast": .int(Int64(n % 3))], status: n % 2 == 0 ? .completed : .failed,
                           tags: n % 5 == 0 ? ["nightly"] : (n % 5 == 1 ? ["nightlyish"] : []))
            r.script = n < 15 ? "a.py" : "b.py"
            r.summary = ["Sharpe Ratio": .double(Double(n) / 10)]
            if n % 4 == 0 { r.sweepID = "sweep-\(n % 8)" }
            if n == 7 { r.cachedFrom = runs[3].runID }
            r.profile = n % 2 == 0 ? "backtest" : "none"
            runs.append(r)
        }
        index.upsert(runs)
        let id = runs.map(\.runID)
        func expect(_ f: String, _ keep: (Int) -> Bool, file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(try ids(f), (0..<30).reversed().filter(keep).map { id[$0] }, f, file: file, line: line)
        }
        try expect("tags.nightly", { $0 % 5 == 0 })
        try expect("status = 'failed' and tags.nightly", { $0 % 2 == 1 && $0 % 5 == 0 })
        try expect("status in ('failed', 'cancelled')", { $0 % 2 == 1 })
        try expect("status != 'failed'", { $0 % 2 == 0 })
        try expect("script = 'b.py' and params.fast = 1", { $0 >= 15 && $0 % 3 == 1 })
        try expect("script > 'a.py'", { $0 >= 15 })
        try expect("summary.`Sharpe Ratio` >= 2.5", { $0 >= 25 })
        try expect("sweep_id = 'sweep-0'", { $0 % 8 == 0 })
        try expect("sweep_id = null", { $0 % 4 != 0 })
        try expect("cached_from = '\(id[3])'", { $0 == 7 })
        try expect("profile = 'none' and params.fast in (0, 2)", { $0 % 2 == 1 && $0 % 3 != 1 })
        try expect("run_id = '\(id[4])' or run_id >= '\(id[28])'", { $0 == 4 || $0 >= 28 })
        try expect("created_at >= '\(ISOTime.format(millis: base + 20_000))' and created_at < '\(ISOTime.format(millis: base + 22_000))'",
                   { $0 == 20 || $0 == 21 })
        try expect("(tags.nightly or tags.nightlyish) and status = 'completed'", { $0 % 5 <= 1 && $0 % 2 == 0 })
    }

    func testMissingKeysSortLastAndTiesNewestFirst() throws {
        let sharpe: [Double?] = [1.5, nil, 0.2, 1.5, nil, -1, 3]
        var runs: [RunRecord] = []
        for (n, s) in sharpe.enumerated() { runs.append(record(n, metrics: s.map { ["sharpe": .double($0)] } ?? [:])) }
        runs.append(record(7, metrics: ["sharpe": "n/a"]))  // a text sorts after every number, before the missing
        index.upsert(runs)
        let id = runs.map(\.runID)
        XCTAssertEqual(try ids("", order: "metrics.sharpe desc"), [id[6], id[3], id[0], id[2], id[5], id[7], id[4], id[1]])
        XCTAssertEqual(try ids("", order: "metrics.sharpe asc"), [id[5], id[2], id[3], id[0], id[6], id[7], id[4], id[1]])
        XCTAssertEqual(try ids("", order: "metrics.sharpe"), try ids("", order: "metrics.sharpe asc"))
        XCTAssertEqual(try ids("", order: "metrics.sharpe desc, created_at"),
                       [id[6], id[0], id[3], id[2], id[5], id[7], id[1], id[4]], "a second key breaks the tie")
        XCTAssertEqual(try ids("", order: "created_at"), id)
        XCTAssertEqual(try ids("metrics.sharpe > 0", order: "metrics.sharpe desc"), [id[6], id[3], id[0], id[2]])
    }

    func testFilterOrderAndPagesAgreeWithTotals() throws {
        var runs: [RunRecord] = []
        for n in 0..<200 {
            let sharpe = Double((n * 37) % 101) / 25 - 1   // -1 ... 3, repeated values
            runs.append(record(n, params: ["fast": .int(Int64(5 + n % 4 * 5)), "slow": .string("\(50 + n % 3 * 10)")],
                               metrics: n % 9 == 0 ? nil : ["sharpe": .double(sharpe)],
                               status: n % 10 == 3 ? .failed : .completed, tags: n % 6 == 0 ? ["nightly"] : []))
        }
        index.upsert(runs)
        let filter = try RunFilter.parse("metrics.sharpe > 1 and params.slow != 60 or params.fast = 10 and tags.nightly")
        let order = try RunOrder.parse("metrics.sharpe desc")
        // The expectation, computed the slow way.
        func sharpe(_ r: RunRecord) -> Double? { r.metrics?["sharpe"]?.doubleValue }
        let matching = runs.filter { r in
            ((sharpe(r) ?? -.infinity) > 1 && r.params["slow"]?.stringValue != "60")
                || (r.params["fast"]?.intValue == 10 && r.tags.contains("nightly"))
        }.filter { $0.status == .completed }
        let expected = matching.sorted { a, b in
            switch (sharpe(a), sharpe(b)) {
            case let (x?, y?) where x != y: return x > y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.runID > b.runID
            }
        }.map(\.runID)
        XCTAssertGreaterThan(expected.count, 40)
        var pages: [String] = []
        for offset in stride(from: 0, to: expected.count + 20, by: 20) {
            let page = try index.query(RunQuery(statuses: [.completed], filter: filter, order: order, limit: 20, offset: offset))
            XCTAssertEqual(page.total, expected.count)
            pages += page.runs.map(\.runID)
        }
        XCTAssertEqual(pages, expected)
        // The list filters and the search combine; `order_by` overrides `ascending`.
        let some = try index.query(RunQuery(statuses: [.completed], tag: "nightly", sinceMillis: base + 100_000,
                                            filter: try RunFilter.parse("params.fast >= 10"), limit: 1000, ascending: true))
        XCTAssertEqual(some.runs.map(\.runID), runs.filter {
            $0.status == .completed && $0.tags.contains("nightly") && $0.createdAt >= base + 100_000 && ($0.params["fast"]?.intValue ?? 0) >= 10
        }.map(\.runID))
        XCTAssertEqual(try index.query(RunQuery(order: try RunOrder.parse("created_at desc"), limit: 3, ascending: true)).runs.map(\.runID),
                       runs.suffix(3).reversed().map(\.runID))
    }

    /// Small pages of many matches are read in order (runs by id, or the first sort key's index, in parts:
    /// numbers, texts, missing) rather than by sorting every match: page after page, they give exactly the
    /// runs and order of one page holding every match (which sorts them all).
    func testPagesReadInOrderAgreeWithSortingEveryMatch() throws {
        var runs: [RunRecord] = []
        for n in 0..<300 {
            var metrics: JSONObject = [:]
            switch n % 10 {
            case 0: break                                   // no sharpe
            case 1: metrics["sharpe"] = "n/a"               // a text
            case 2: metrics["sharpe"] = .string("\(n % 7)")  // a number as text
            default: metrics["sharpe"] = .double(Double((n * 37) % 23) / 4 - 1)
            }
            runs.append(record(n, params: ["fast": .int(Int64(5 * (1 + n % 4)))], metrics: metrics,
                               status: n % 13 == 0 ? .failed : .completed, tags: n % 3 == 0 ? ["x"] : []))
        }
        index.upsert(runs)
        let cases: [(String, String?)] = [
            ("", "metrics.sharpe desc"), ("", "metrics.sharpe"), ("params.fast >= 10", "metrics.sharpe asc"),
            ("tags.x or params.fast = 5", "metrics.sharpe desc, params.fast"), ("metrics.sharpe != null", "metrics.sharpe desc"),
            ("metrics.sharpe != 2 and params.fast != 20", "metrics.sharpe desc, created_at"),
            ("params.fast = 10", nil), ("status = 'completed' and tags.x", nil), ("", "params.fast desc, metrics.sharpe"),
            ("metrics.sharpe = null", "metrics.sharpe desc"), ("", "status, metrics.sharpe desc"),
        ]
        var shapes = Set<String>()
        for (filter, order) in cases {
            let all = try ids(filter, order: order, limit: 1000)
            XCTAssertGreaterThan(all.count, 20, filter)
            var pages: [String] = []
            for offset in stride(from: 0, through: all.count + 7, by: 7) {
                let q = RunQuery(filter: try RunFilter.parse(filter), order: try order.flatMap(RunOrder.parse), limit: 7, offset: offset)
                let page = try index.query(q)
                XCTAssertEqual(page.total, all.count, "\(filter) / \(order ?? "-") at \(offset)")
                pages += page.runs.map(\.runID)
                shapes.formUnion(try index.queryPlan(q).filter { $0.hasPrefix("page (") })
            }
            XCTAssertEqual(pages, all, "\(filter) / \(order ?? "-")")
        }
        XCTAssertEqual(shapes, ["page (joined):", "page (scanning):", "page (sort key numbers):", "page (sort key texts):",
                                "page (sort key missing):"], "every shape was used")
    }

    /// A record's values are replaced with it, and go with it.
    func testValuesFollowTheirRecord() throws {
        var r = record(0, params: ["fast": 10], metrics: ["sharpe": 2], tags: ["old"])
        index.upsert([(r, 1)])
        XCTAssertEqual(try ids("params.fast = 10 and tags.old and metrics.sharpe = 2"), [r.runID])
        r.params = ["slow": 10]
        r.metrics = nil
        r.tags = ["new"]
        index.upsert([(r, 2)])
        XCTAssertEqual(try ids("params.fast = 10"), [])
        XCTAssertEqual(try ids("tags.old or metrics.sharpe != null"), [])
        XCTAssertEqual(try ids("params.slow = 10 and tags.new"), [r.runID])
        // An older version of the record does not bring its values back.
        var stale = r
        stale.params = ["fast": 10]
        index.upsert([(stale, 1)])
        XCTAssertEqual(try ids("params.fast = 10"), [])
        index.remove(runIDs: [r.runID])
        XCTAssertEqual(try ids("params.slow = 10"), [])
    }

    /// Every condition reads an index: in the joined shape (what few matches are read with) nothing scans runs
    /// or run_values, a value condition reads a range of the (key, num) or (key, text) index, and a sort on the
    /// key of a range condition follows that index.
    func testConditionsUseTheIndexes() throws {
        func plan(_ filter: String, _ order: String? = nil) throws -> String {
            try index.queryPlan(RunQuery(filter: try RunFilter.parse(filter), order: try order.flatMap(RunOrder.parse)))
                .joined(separator: "\n")
        }
        for (filter, order) in [("metrics.sharpe > 1 and params.strategy = 'x' and tags.nightly", "metrics.sharpe desc"),
                                ("params.fast = 10", "metrics.sharpe desc"), ("status = 'failed' or tags.x", nil),
                                ("params.fast in (10, 'x') and sweep_id = null", nil)] {
            let p = try plan(filter, order)
            for line in p.split(separator: "\n") where line.contains("SCAN") {
                XCTAssertTrue(line.hasSuffix("SCAN p"), "\(filter): a scan:\n\(p)")
            }
        }
        XCTAssertTrue(try plan("metrics.sharpe > 1").contains("run_values_num (key=? AND num>?)"))
        XCTAssertTrue(try plan("params.strategy = 'x'").contains("run_values_text (key=? AND text=?)"))
        XCTAssertTrue(try plan("metrics.sharpe > 1", "metrics.sharpe desc").contains("RIGHT PART OF ORDER BY"),
                      "the sort does not follow the index")
    }
}
