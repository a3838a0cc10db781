import BacktestCore
import JSON
import XCTest

final class ProgressParserTests: XCTestCase {
    func testPercentages() {
        XCTAssertEqual(ProgressParser.parse("42%")?.percent, 42)
        XCTAssertEqual(ProgressParser.parse("progress: 40%"), Progress(percent: 40, current: nil, total: nil, message: "progress: 40%"))
        XCTAssertEqual(ProgressParser.parse("  12.5% done ")?.percent, 12.5)
        XCTAssertEqual(ProgressParser.parse("  12.5% done ")?.message, "12.5% done")
        XCTAssertEqual(ProgressParser.parse("100%")?.percent, 100)
    }

    func testCounts() {
        let p = ProgressParser.parse("Processing day 5/252 (2024-01-05)")
        XCTAssertEqual(p?.current, 5)
        XCTAssertEqual(p?.total, 252)
        XCTAssertEqual(p?.percent, 1.98)
        XCTAssertEqual(p?.message, "Processing day 5/252 (2024-01-05)")
        XCTAssertEqual(ProgressParser.parse("batch 10/10")?.percent, 100)
    }

    func testTqdmBar() {
        let p = ProgressParser.parse(" 45%|████▌     | 45/100 [00:01<00:02, 40.00it/s]")
        XCTAssertEqual(p?.percent, 45)
        XCTAssertEqual(p?.current, 45)
        XCTAssertEqual(p?.total, 100)
    }

    func testNotProgress() {
        for line in [
            "trade on 2024/01/05 filled", "12/05/2024 close", "loading /data/2024/5/prices.csv", "speed 40.00it/s",
            "plain line with numbers 123 456", "drawdown -12.5%", "ratio 7/3 (more than total)", "version 3.11/0",
            "printf('%s')", "win 150%", "file a/1", "x/y", "", "log line 000000042 processing tick",
        ] {
            XCTAssertNil(ProgressParser.parse(line), line)
        }
    }

    func testJSON() {
        let p = Progress(percent: 1.98, current: 5, total: 252, message: "m")
        XCTAssertEqual(JSONWriter.string(.object(p.json(runID: "r"))),
                       #"{"run_id":"r","percent":1.98,"current":5,"total":252,"message":"m"}"#)
        XCTAssertEqual(JSONWriter.string(.object(Progress(percent: 40, current: nil, total: nil, message: "x").json(runID: "r"))),
                       #"{"run_id":"r","percent":40.0,"message":"x"}"#)
    }

    func testOrdinaryLinesAreCheap() {
        // A million ordinary lines must cost next to nothing (the pre-check rejects them without parsing).
        let line = "log line 000000042 processing tick with some more text"
        let t0 = SupervisorTestSupport.now()
        var hits = 0
        for _ in 0..<200_000 where ProgressParser.parse(line) != nil { hits += 1 }
        XCTAssertEqual(hits, 0)
        XCTAssertLessThan(SupervisorTestSupport.now() - t0, 1.0)
    }
}
