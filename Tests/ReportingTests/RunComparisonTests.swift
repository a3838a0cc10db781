import JSON
import TestSupport
import XCTest

@testable import Reporting

final class RunComparisonTests: XCTestCase {
    /// `package.<name>` columns only for packages whose versions differ among the runs that recorded any.
    func testPackageColumnsOnlyWhereVersionsDiffer() {
        let a: JSONObject = ["run_id": "r1", "status": "completed", "script": "s.py", "params": ["x": 1]]
        let b: JSONObject = ["run_id": "r2", "status": "completed", "script": "s.py"]
        let c: JSONObject = ["run_id": "r3", "status": "completed", "script": "s.sh"]
        let table = RunComparison.table(runs: [(a, nil), (b, nil), (c, nil)], packages: [
            ["numpy": "1.26.4", "pandas": "2.2.0", "pip": "23.2.1"],
            ["numpy": "2.0.0", "pandas": "2.2.0", "Polars": "1.0"],
            nil,
        ])
        XCTAssertEqual(table.columns, ["run_id", "status", "script", "param.x", "package.numpy", "package.pip", "package.Polars"])
        XCTAssertEqual(table.rows[0]["package.numpy"], "1.26.4")
        XCTAssertEqual(table.rows[1]["package.numpy"], "2.0.0")
        XCTAssertEqual(table.rows[1]["package.pip"], .null)
        XCTAssertEqual(table.rows[2]["package.numpy"], .null)
        XCTAssertEqual(table.csv.components(separatedBy: "\r\n")[1], "r1,completed,s.py,1,1.26.4,23.2.1,")
        // The same environment adds no column.
        let same = RunComparison.table(runs: [(a, nil), (b, nil)], packages: [["numpy": "1"], ["numpy": "1"]])
        XCTAssertFalse(same.columns.contains { $0.hasPrefix("package.") })
    }

    func testUnionOfMetricsAndParams() throws {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("metric,value\ntotal_pnl,1234.50\nwin_rate,55.5\ntotal_trades,41\nstart_date,2024-01-01\n", to: dir + "/a.csv")
        TestFiles.write("metric,value\ntotal_pnl,-10.00\nsharpe_ratio,1.2\nnote,\"has, comma\"\nodd,nan\n", to: dir + "/b.csv")
        let a: JSONObject = ["run_id": "r1", "status": "completed", "script": "s.py", "params": ["capital": 1000, "mode": "fast"]]
        let b: JSONObject = ["run_id": "r2", "status": "failed", "script": "s.py", "params": ["capital": 2000, "window": 5]]
        let c: JSONObject = ["run_id": "r3", "status": "cancelled", "script": "t.py"]
        let table = RunComparison.table(runs: [(a, dir + "/a.csv"), (b, dir + "/b.csv"), (c, nil)])
        XCTAssertEqual(table.columns, [
            "run_id", "status", "script", "param.capital", "param.mode", "param.window",
            "summary.total_pnl", "summary.win_rate", "summary.total_trades", "summary.start_date", "summary.sharpe_ratio", "summary.note", "summary.odd",
        ])
        XCTAssertEqual(table.rows.count, 3)
        XCTAssertEqual(table.rows[0]["summary.total_pnl"], .double(1234.5))
        XCTAssertEqual(table.rows[0]["summary.total_trades"], .int(41))
        XCTAssertEqual(table.rows[0]["summary.start_date"], "2024-01-01")
        XCTAssertEqual(table.rows[0]["summary.sharpe_ratio"], .null)
        XCTAssertEqual(table.rows[1]["param.window"], 5)
        XCTAssertEqual(table.rows[1]["summary.note"], "has, comma")
        XCTAssertEqual(table.rows[1]["summary.odd"], "nan")
        XCTAssertEqual(table.rows[2]["summary.total_pnl"], .null)
        for row in table.rows { XCTAssertEqual(row.keys, table.columns) }

        let lines = table.csv.components(separatedBy: "\r\n")
        XCTAssertEqual(lines[0], table.columns.joined(separator: ","))
        XCTAssertEqual(lines[1], "r1,completed,s.py,1000,fast,,1234.50,55.5,41,2024-01-01,,,")
        XCTAssertEqual(lines[2], "r2,failed,s.py,2000,,5,-10.00,,,,1.2,\"has, comma\",nan")
        XCTAssertEqual(lines[3], "r3,cancelled,t.py,,,,,,,,,,")
        XCTAssertEqual(lines.count, 5)  // trailing CRLF
    }

    func testServerMetricsComeBeforeTheScriptsOwnAndNeverCollide() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("metric,value\nsharpe,0.597\n", to: dir + "/a.csv")
        let a: JSONObject = ["run_id": "r1", "status": "completed", "script": "s.py", "metrics": ["sharpe": 0.822, "trades": 3]]
        let table = RunComparison.table(runs: [(a, dir + "/a.csv")])
        XCTAssertEqual(table.columns, ["run_id", "status", "script", "metrics.sharpe", "metrics.trades", "summary.sharpe"])
        XCTAssertEqual(table.rows[0]["metrics.sharpe"], .double(0.822))
        XCTAssertEqual(table.rows[0]["summary.sharpe"], .double(0.597))
    }

    func testCSVQuoting() {
        XCTAssertEqual(CSVText.quote("plain"), "plain")
        XCTAssertEqual(CSVText.quote("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVText.quote("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVText.quote("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVText.rows(Array("a,\"b,\"\"c\"\"\nd\"\r\n\ne,f".utf8)), [["a", "b,\"c\"\nd"], ["e", "f"]])
    }

    func testMetricValueTyping() {
        XCTAssertEqual(SummaryMetrics.value("42"), .int(42))
        XCTAssertEqual(SummaryMetrics.value("-0.5"), .double(-0.5))
        XCTAssertEqual(SummaryMetrics.value("1e3"), .double(1000))
        XCTAssertEqual(SummaryMetrics.value("0x10"), "0x10")
        XCTAssertEqual(SummaryMetrics.value("inf"), "inf")
        XCTAssertEqual(SummaryMetrics.value("2020-01-01"), "2020-01-01")
        XCTAssertEqual(SummaryMetrics.value(""), "")
    }

    func testAMetricNamedLikeAFixedColumn() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("metric,value\nstatus,ok\n", to: dir + "/s.csv")
        let table = RunComparison.table(runs: [(["run_id": "r", "status": "completed"], dir + "/s.csv")])
        XCTAssertEqual(table.columns, ["run_id", "status", "script", "summary.status"])
        XCTAssertEqual(table.rows[0]["status"], "completed")
    }
}
