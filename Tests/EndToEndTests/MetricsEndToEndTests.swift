import Foundation
import JSON
import XCTest

/// The server's analytics through the built binary: a completed run's record carries `metrics` computed from
/// its own pnl.csv and trades.csv, and `summary`, its summary.csv rows; `compare` shows both, apart.
final class MetricsEndToEndTests: XCTestCase {
    var ws: RunWorkspace!

    override func tearDown() { ws?.removeAfterSupervisors() }

    func testACompletedRunCarriesMetricsFromItsOwnFiles() throws {
        ws = try RunWorkspace()
        // Five days, a first-day loss, capital 1000 from the params, two trades of which one lost.
        try ws.write("five.py", """
            import os
            out = os.environ["BACKTEST_OUTPUT_DIR"]
            with open(os.path.join(out, "pnl.csv"), "w") as f:
                f.write("date,pnl,cumulative_pnl\\n")
                total = 0
                for d, p in [("2024-01-02", -10), ("2024-01-03", 20), ("2024-01-04", 5), ("2024-01-05", -15), ("2024-01-08", 30)]:
                    total += p
                    f.write("%s,%d,%d\\n" % (d, p, total))
            with open(os.path.join(out, "trades.csv"), "w") as f:
                f.write("entry_time,exit_time,pnl,fees\\n2024-01-02,2024-01-03,40,1.5\\n2024-01-04,2024-01-05,-10,0.5\\n")
            with open(os.path.join(out, "summary.csv"), "w") as f:
                f.write("metric,value\\nsharpe,0.597\\ntotal_pnl,30\\n")
            """)
        let s = try ws.server()
        let id = try s.startRun("five.py", params: ["capital": 1000], extra: ["profile": "none"])
        try s.waitForStatus(id, "completed")
        let record = try s.result("status", ["run_id": .string(id)])
        let m = record["metrics"]
        // By hand: equity 990, 1010, 1015, 1000, 1030 → total return 3%; the deepest fall is 1015 → 1000.
        XCTAssertEqual(m["total_return"].doubleValue ?? 0, 0.03, accuracy: 1e-12, "\(m)")
        XCTAssertEqual(m["max_drawdown"].doubleValue ?? 0, -15.0 / 1015.0, accuracy: 1e-12)
        XCTAssertEqual(m["trades"].intValue, 2)
        XCTAssertEqual(m["win_rate"].doubleValue, 0.5)
        XCTAssertEqual(m["profit_factor"].doubleValue, 4)
        XCTAssertEqual(m["fees"].doubleValue, 2)
        XCTAssertEqual(m["ruined"], false)
        XCTAssertEqual(record["summary"]["sharpe"].doubleValue, 0.597)

        let table = try s.result("compare", ["run_ids": [.string(id)]])
        let row = table["rows"][0]
        XCTAssertEqual(row["summary.sharpe"].doubleValue, 0.597, "the script's own figure, as it wrote it")
        XCTAssertEqual(row["metrics.sharpe"], m["sharpe"], "the server's, from the same formulas as every run")
        XCTAssertNotEqual(row["metrics.sharpe"], row["summary.sharpe"])
    }
}
