@testable import BacktestCore
import JSON
import XCTest

/// Which param sets a sweep runs (`SweepPlan`): the grid's order, crossing with a list, samples that are the
/// same for the same seed, and the refusals.
final class SweepPlanTests: XCTestCase {
    func testTheGridIsTheCartesianProductWithTheLastNameFastest() throws {
        let plan = SweepPlan(grid: [("a", [1, 2]), ("b", ["x", "y", "z"])], fixed: ["c": true])
        let sets = try plan.expand()
        XCTAssertEqual(sets.map { $0["a"]! }, [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(sets.map { $0["b"]! }, ["x", "y", "z", "x", "y", "z"])
        XCTAssertTrue(sets.allSatisfy { $0["c"] == true })
    }

    func testEachListedSetIsCrossedWithTheGrid() throws {
        let plan = SweepPlan(grid: [("slow", [50, 100])], paramSets: [["fast": 5], ["fast": 10, "mode": "x"]])
        let sets = try plan.expand()
        XCTAssertEqual(sets, [["fast": 5, "slow": 50], ["fast": 5, "slow": 100],
                              ["fast": 10, "mode": "x", "slow": 50], ["fast": 10, "mode": "x", "slow": 100]])
    }

    func testASampleIsTheSameForTheSameSeedAndHasNoRepeats() throws {
        let grid: [(name: String, values: [JSONValue])] = [("a", (0..<50).map { .int(Int64($0)) }), ("b", (0..<40).map { .int(Int64($0)) })]
        let one = try SweepPlan(grid: grid, sample: (n: 100, seed: 7)).expand()
        let again = try SweepPlan(grid: grid, sample: (n: 100, seed: 7)).expand()
        let other = try SweepPlan(grid: grid, sample: (n: 100, seed: 8)).expand()
        XCTAssertEqual(one.count, 100)
        XCTAssertEqual(one, again)
        XCTAssertNotEqual(one, other)
        XCTAssertEqual(Set(one.map { JSONWriter.string(.object($0)) }).count, 100, "no set drawn twice")
        // More than the grid holds: the whole grid, once.
        XCTAssertEqual(try SweepPlan(grid: [("a", [1, 2])], sample: (n: 10, seed: 1)).expand().count, 2)
    }

    func testANameFromTwoPlacesAnEmptyGridAndTooManySetsAreRefused() {
        XCTAssertThrowsError(try SweepPlan(grid: [("a", [1])], fixed: ["a": 2]).expand()) { e in
            guard case CoreError.invalidArgument(let field, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(field, "grid.a")
        }
        XCTAssertThrowsError(try SweepPlan(grid: [("a", [])]).expand())
        let big: [(name: String, values: [JSONValue])] = [("a", (0..<1000).map { .int(Int64($0)) }), ("b", (0..<101).map { .int(Int64($0)) })]
        XCTAssertThrowsError(try SweepPlan(grid: big).expand())
        XCTAssertEqual(try SweepPlan(grid: big, sample: (n: 10, seed: 1)).expand().count, 10, "a sample of a big grid is fine")
    }

    func testRunIDsNameTheirSweep() {
        let sweep = SweepRecord(sweepID: "sweep_20261127_120000_000", script: "s.py", createdAt: 0, rankBy: nil, template: [:],
                                paramSets: Array(repeating: [:], count: 12))
        XCTAssertEqual(sweep.runID(0), "20261127_120000_000__0001")
        XCTAssertEqual(sweep.runID(11), "20261127_120000_000__0012")
        XCTAssertTrue(RunStore.isValidRunID(sweep.runID(0)))
        XCTAssertEqual(SweepRecord.sweepID(ofRun: sweep.runID(3)), sweep.sweepID)
        XCTAssertNil(SweepRecord.sweepID(ofRun: "20261127_120000_000_001"))
        XCTAssertEqual(sweep.index(of: "20261127_120000_000__0012"), 11)
        XCTAssertNil(sweep.index(of: "20261127_120000_000__0013"))
    }
}
