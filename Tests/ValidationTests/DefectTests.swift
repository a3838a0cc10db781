import Foundation
import JSON
import XCTest
@testable import Validation

/// Every defect of make_outputs.py gives exactly the expected findings and nothing else; a clean output gives none.
/// The expectations are the fixture README's table, made exact (rule ids and counts).
final class DefectTests: XCTestCase {
    /// defect → (error rules, warning rules), each list in report order.
    static let expected: [String: (errors: [String], warnings: [String])] = [
        "missing_column": (["trades.required_columns"], []),
        // Three rows with an empty pnl, one finding per row, each with its line.
        "null_pnl": (["trades.not_null", "trades.not_null", "trades.not_null"], []),
        "unsorted_dates": (["pnl.dates_increasing"], []),
        "date_gap": (["pnl.missing_days"], []),
        "nan_last_cumulative": (["pnl.last_cumulative"], []),
        "empty_trades": (["trades.min_size", "trades.min_rows"], ["trades.min_trades"]),
        "tiny_file": (["pnl.min_size"], []),
        "bad_csv_quote": (["trades.valid_csv"], []),
        "missing_metric": (["summary.required_metrics"], []),
        "huge_loss": ([], ["trades.max_loss_per_trade"]),
        // pnl.csv and summary.csv lose ~45% on one day, trades.csv does not: the drawdown warns, and so does
        // reconciliation, because the trades no longer sum to total_pnl. Both are true; the run stays valid.
        "deep_drawdown": ([], ["pnl.max_drawdown", "reconcile.total_pnl"]),
        "not_json_metadata": ([], ["metadata.valid_json"]),
    ]

    func testCleanOutputHasNoFindings() throws {
        let ctx = try TestSupport.makeRun()
        let r = try TestSupport.validate(ctx)
        XCTAssertTrue(r.valid, r.dump)
        XCTAssertEqual(r.issues.count, 0, r.dump)
        XCTAssertEqual(r.fileChecks["trades.csv"]?.rowCount, 400)
        XCTAssertEqual(r.fileChecks["pnl.csv"]?.rowCount, 60)
        XCTAssertEqual(r.capitalSource, "metadata.json")
    }

    func testEveryDefectGivesExactlyItsFinding() throws {
        let python = try TestSupport.requirePython()
        let listed = try TestSupport.run(python, [TestSupport.generator, "--list-defects"])
        let names = listed.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        XCTAssertEqual(Set(names), Set(Self.expected.keys), "the generator's defects changed")
        for name in names.sorted() {
            let ctx = try TestSupport.makeRun(defect: name)
            let r = try TestSupport.validate(ctx)
            let want = Self.expected[name]!
            XCTAssertEqual(r.errorRules, want.errors, "\(name):\n\(r.dump)")
            XCTAssertEqual(r.warningRules, want.warnings, "\(name):\n\(r.dump)")
            XCTAssertEqual(r.valid, want.errors.isEmpty, name)
            // Every message names its file, and its line where the finding has one.
            for i in r.issues {
                XCTAssertTrue(i.message.hasPrefix(i.file + (i.line.map { ":\($0): " } ?? ": ")), i.message)
            }
            // Reading trades.csv as two halves gives the same report.
            var split = ValidationConfig()
            split.parallelThreshold = 1
            let r2 = try TestSupport.validate(ctx, config: split)
            XCTAssertEqual(r2.issues, r.issues, "\(name): split read differs")
            XCTAssertEqual(r2.fileChecks["trades.csv"]?.rowCount, r.fileChecks["trades.csv"]?.rowCount, name)
        }
    }

    func testMessagesPointAtTheRightLines() throws {
        // null_pnl empties trades 400/3, 400/2, 2*400/3 (0-based) → lines 135, 202, 268.
        let r = try TestSupport.validate(try TestSupport.makeRun(defect: "null_pnl"))
        XCTAssertEqual(r.errors.map(\.line), [135, 202, 268])
        XCTAssertEqual(r.errors.first?.message, "trades.csv:135: pnl is empty")

        let gap = try TestSupport.validate(try TestSupport.makeRun(defect: "date_gap"))
        XCTAssertEqual(gap.errors.count, 1)
        XCTAssertTrue(gap.errors[0].message.contains("missing trading day"), gap.dump)

        let nan = try TestSupport.validate(try TestSupport.makeRun(defect: "nan_last_cumulative"))
        XCTAssertEqual(nan.errors.first?.line, 61)

        let quote = try TestSupport.validate(try TestSupport.makeRun(defect: "bad_csv_quote"))
        XCTAssertEqual(quote.errors.first?.line, 202, quote.dump)
        XCTAssertNil(quote.fileChecks["trades.csv"]?.rowCount, "a file that does not parse has no row count")
    }

    func testOutsideARunTheMissingLogIsTheOnlyWarning() throws {
        let dir = TestSupport.tempDir("outside")
        try TestSupport.generate(dir)
        let r = try TestSupport.validate(ValidationContext(resultsDir: dir))
        XCTAssertTrue(r.valid)
        XCTAssertEqual(r.warningRules, ["log.exists"], r.dump)
        XCTAssertEqual(r.warnings[0].message, "execution.log: not found (validated outside a run)")
        XCTAssertEqual(r.errors.count, 0)
    }

    func testLargeOutputSplitReadMatchesSerialRead() throws {
        // Big enough for several 1 MiB chunks per half, with a defect in each half.
        let ctx = try TestSupport.makeRun(defect: "null_pnl", trades: 60_000, days: 300)
        var serial = ValidationConfig()
        serial.parallelRead = false
        var split = ValidationConfig()
        split.parallelThreshold = 1
        let a = try TestSupport.validate(ctx, config: serial)
        let b = try TestSupport.validate(ctx, config: split)
        XCTAssertEqual(a.issues, b.issues)
        XCTAssertEqual(a.errors.map(\.line), [20_002, 30_002, 40_002])
        XCTAssertEqual(b.fileChecks["trades.csv"]?.rowCount, 60_000)
    }
}
