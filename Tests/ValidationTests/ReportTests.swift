import Foundation
import JSON
import Synchronization
import XCTest
@testable import Validation

final class ReportTests: XCTestCase {
    func testJSONShape() throws {
        let ctx = try TestSupport.makeRun(defect: "nan_last_cumulative")
        let r = try TestSupport.validate(ctx)
        let j = r.json()
        XCTAssertEqual(j.objectValue?.keys, ["valid", "errors", "warnings", "issues", "file_checks", "profile",
                                             "validated_at", "duration_ms", "capital", "capital_source", "calendar"])
        XCTAssertEqual(j["valid"], false)
        XCTAssertEqual(j["errors"], ["pnl.csv:61: the last cumulative_pnl is empty: the final result is unknown"])
        XCTAssertEqual(j["issues"].arrayValue?.first, .object([
            "severity": "error", "rule": "pnl.last_cumulative", "file": "pnl.csv", "line": 61,
            "message": "pnl.csv:61: the last cumulative_pnl is empty: the final result is unknown",
        ]))
        XCTAssertEqual(j["file_checks"].objectValue?.keys, ["execution.log", "metadata.json", "pnl.csv", "summary.csv", "trades.csv"])
        XCTAssertEqual(j["file_checks"]["pnl.csv"], .object([
            "exists": true, "size": .int(Int64(r.fileChecks["pnl.csv"]!.size)), "row_count": 60,
            "columns": ["date", "pnl", "cumulative_pnl"],
            "errors": ["pnl.csv:61: the last cumulative_pnl is empty: the final result is unknown"], "warnings": [],
        ]))
        let at = j["validated_at"].stringValue!
        XCTAssertNotNil(at.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), at)
        XCTAssertGreaterThan(j["duration_ms"].doubleValue!, 0)
        XCTAssertEqual(j["profile"], "backtest")
    }

    func testExecutionLogFindings() throws {
        let log = "Starting\nWARNING: slow\nTraceback (most recent call last):\n  File \"x.py\"\nCRITICAL stop\ndone"
        let ctx = try TestSupport.makeRun(log: log)
        let r = try TestSupport.validate(ctx)
        XCTAssertTrue(r.valid)
        XCTAssertEqual(r.warnings.map(\.message), [
            "execution.log:3: Traceback (most recent call last):", "execution.log:5: CRITICAL stop",
        ])
        XCTAssertEqual(r.fileChecks["execution.log"]?.rowCount, 6)

        let empty = try TestSupport.makeRun(log: "")
        XCTAssertEqual(try TestSupport.validate(empty).warningRules, ["log.empty"])
        try FileManager.default.removeItem(atPath: empty.runDir! + "/execution.log")
        XCTAssertEqual(try TestSupport.validate(empty).warnings.map(\.message), ["execution.log: missing: the run's output was not recorded"])
    }

    func testReconciliationFindsInconsistentFiles() throws {
        let ctx = try TestSupport.makeRun()
        let summary = ctx.resultsDir + "/summary.csv"
        var text = try String(contentsOfFile: summary, encoding: .utf8)
        text = text.replacingOccurrences(of: "total_trades,400", with: "total_trades,401")
        let winRate = text.split(separator: "\n").first { $0.hasPrefix("win_rate,") }!
        text = text.replacingOccurrences(of: winRate, with: "win_rate,99.00")
        try text.write(toFile: summary, atomically: true, encoding: .utf8)
        // One day's cumulative_pnl off by a cent more than the tolerance.
        let pnl = ctx.resultsDir + "/pnl.csv"
        var rows = try String(contentsOfFile: pnl, encoding: .utf8).split(separator: "\n").map(String.init)
        var f = rows[10].split(separator: ",").map(String.init)
        f[2] = formatAmount(Double(f[2])! + 0.02)
        rows[10] = f.joined(separator: ",")
        try (rows.joined(separator: "\n") + "\n").write(toFile: pnl, atomically: true, encoding: .utf8)

        let r = try TestSupport.validate(ctx)
        XCTAssertTrue(r.valid)
        XCTAssertEqual(r.warningRules, ["reconcile.cumulative", "reconcile.cumulative", "reconcile.total_trades", "reconcile.win_rate"], r.dump)
        XCTAssertEqual(r.warnings[0].line, 11)
        XCTAssertEqual(r.warnings[1].line, 12)  // the next day no longer adds up either
        XCTAssertTrue(r.warnings[2].message.contains("total_trades is 401 but trades.csv has 400 rows"), r.warnings[2].message)
    }

    func testCancellation() throws {
        let ctx = try TestSupport.makeRun()
        let r = try Validator.validate(profile: nil, config: ValidationConfig(), context: ctx, isCancelled: { true })
        XCTAssertTrue(r.cancelled)
        XCTAssertFalse(r.valid)
        XCTAssertEqual(r.json()["cancelled"], true)
    }

    func testManyFindingsAreCapped() throws {
        let dir = TestSupport.tempDir("cap")
        var text = "entry_time,exit_time,strike,option_type,pnl\n"
        for _ in 0..<100 { text += "2024-01-02T09:15:00,2024-01-02T10:15:00,100,CE,\n" }
        TestSupport.write(text, to: dir + "/trades.csv")
        let r = try TestSupport.validate(ValidationContext(resultsDir: dir))
        let nulls = r.errors.filter { $0.rule == "trades.not_null" }
        XCTAssertEqual(nulls.count, FindingList.perRule + 1)
        XCTAssertEqual(nulls.last?.message, "trades.csv: 80 more like the above (trades.not_null), 100 in all")
    }
}
