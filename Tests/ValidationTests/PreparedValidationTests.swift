import Foundation
import JSON
import XCTest
@testable import Validation

/// A validation in two parts (`Validator.prepare`, then `finish` once the run's log is complete) reports what
/// one validation of the same files reports.
final class PreparedValidationTests: XCTestCase {
    /// The report without the two members that say when and how long.
    private func comparable(_ r: ValidationReport) -> JSONValue {
        var o = r.json().objectValue ?? [:]
        o["validated_at"] = nil
        o["duration_ms"] = nil
        return .object(o)
    }

    func testTheTwoPartsReportWhatOneValidationReports() throws {
        for defect in [nil, "nan_last_cumulative", "null_pnl", "date_gap", "bad_csv_quote"] {
            let ctx = try TestSupport.makeRun(defect: defect)
            let prepared = try XCTUnwrap(Validator.prepare(profile: nil, config: ValidationConfig(), context: ctx))
            XCTAssertEqual(comparable(prepared.finish(context: ctx)), comparable(try TestSupport.validate(ctx)), defect ?? "clean")
        }
    }

    /// The log is read by `finish`: lines the interpreter flushed as it exited, after the result files were
    /// read, are in the report (its findings, its size and line count).
    func testTheLogIsReadAtTheEnd() throws {
        let ctx = try TestSupport.makeRun()
        let prepared = try XCTUnwrap(Validator.prepare(profile: nil, config: ValidationConfig(), context: ctx))
        let log = ctx.runDir! + "/execution.log"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write("Traceback (most recent call last):\n  File \"x.py\"\n".data(using: .utf8)!)
        try handle.close()
        let report = prepared.finish(context: ctx)
        XCTAssertEqual(report.warnings.map(\.message), ["execution.log:3: Traceback (most recent call last):"])
        XCTAssertEqual(report.fileChecks["execution.log"]?.rowCount, 4)
        XCTAssertEqual(comparable(report), comparable(try TestSupport.validate(ctx)))
    }

    /// Only the built-in profile is split: a user profile may check any file, the log included.
    func testAUserProfileIsNotPrepared() {
        XCTAssertNil(Validator.prepare(profile: "none", config: ValidationConfig(), context: ValidationContext(resultsDir: "/nonexistent")))
        XCTAssertNil(Validator.prepare(profile: "mine", config: ValidationConfig(), context: ValidationContext(resultsDir: "/nonexistent")))
    }
}
