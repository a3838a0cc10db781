import BacktestCore
import JSON
import XCTest

/// `log_lines_lost` in a record: always written, read back, and 0 for records written before it existed.
final class RunRecordLogLossTests: XCTestCase {
    private func record() -> RunRecord {
        RunRecord(runID: "20260101_000000_000", script: "s.py", createdAt: 0, runDir: "/r", outputDir: "/r/results")
    }

    func testLinesLostRoundTrips() throws {
        var r = record()
        r.logLinesLost = 42
        XCTAssertEqual(r.json()["log_lines_lost"], 42)
        XCTAssertEqual(RunRecord(json: r.json())?.logLinesLost, 42)
        XCTAssertEqual(RunRecord(json: r.json())?.extra, [:], "a known member, not an extra one")
    }

    func testNothingLostIsZeroAndOlderRecordsReadAsZero() throws {
        XCTAssertEqual(record().json()["log_lines_lost"], 0)
        guard case .object(var o) = record().json() else { return XCTFail("not an object") }
        o["log_lines_lost"] = nil
        XCTAssertEqual(RunRecord(json: .object(o))?.logLinesLost, 0)
    }
}
