import Base
import Foundation
import JSON
import Provenance
import TestSupport
import Validation
import XCTest

@testable import Reporting

/// RunAnalytics against an independent implementation: empyrical-reloaded (PyPI, pinned in
/// Tests/tools/requirements.txt, in the test run's own venv), on deterministic random walks written as pnl.csv.
///
/// Compared to 1e-9 relative (1e-12 absolute near zero): sharpe, sortino, volatility (empyrical's
/// `sharpe_ratio`, `sortino_ratio`, `annual_volatility`), max_drawdown (`max_drawdown`), total_return
/// (`cum_returns_final`). cagr and calmar follow our calendar-time convention, not empyrical's 252-trading-day
/// `annual_return` (docs/metrics.md), so the reference computes them with the calendar formula from empyrical's
/// compounded growth and empyrical's max_drawdown.
final class AnalyticsReferenceTests: XCTestCase {
    /// Reads pnl.csv as pandas does, makes the returns independently (equity from the capital, r = pnl / the day
    /// before's equity, the days after a ruin dropped) and prints empyrical's figures as JSON (null for NaN/inf).
    static let reference = #"""
    import json, sys
    import numpy as np, pandas as pd
    import empyrical as ep

    path, capital = sys.argv[1], float(sys.argv[2])
    df = pd.read_csv(path)
    pnl = df["pnl"].to_numpy(dtype=float)
    equity = capital + np.cumsum(pnl)
    returns = pnl / np.concatenate(([capital], equity[:-1]))
    ruin = np.flatnonzero(equity <= 0)
    ruined = ruin.size > 0
    used = int(ruin[0]) + 1 if ruined else len(pnl)
    r = returns[:used]
    dates = pd.to_datetime(df["date"])

    growth = ep.cum_returns_final(r, starting_value=1)  # equity_T / capital
    span = (dates.iloc[used - 1] - dates.iloc[0]).days + 1  # from the day before the first row
    mdd = ep.max_drawdown(r)
    # Past ruin empyrical's drawdown goes below -1 (equity below zero); the convention caps it at -1 and sets
    # CAGR to -1, since a negative growth factor has no real power.
    cagr = -1.0 if ruined else growth ** (365.25 / span) - 1
    capped = max(mdd, -1.0)

    def num(x):
        x = float(x)
        return x if np.isfinite(x) else None

    print(json.dumps({
        "sharpe": num(ep.sharpe_ratio(r)),
        "sortino": num(ep.sortino_ratio(r)),
        "volatility": num(ep.annual_volatility(r)),
        "max_drawdown": num(mdd),
        "total_return": num(growth - 1),
        "cagr": num(cagr),
        "calmar": num(cagr / abs(capped)) if capped < 0 else None,
        "ruined": ruined,
        "empyrical_annual_return": num(ep.annual_return(r)),
    }))
    """#

    struct Series {
        var name: String
        var capital: Double
        var pnl: [Double]
    }

    /// A few years of weekday pnl: a random walk with a first-day loss, a short one whose first-day loss is its
    /// deepest drawdown, a steady climb (no losing day: no sortino), and one that loses everything and goes on.
    static func series() -> [Series] {
        var rng = SplitMix64(seed: 20_261_127)
        func walk(_ n: Int, capital: Double, drift: Double, sd: Double) -> [Double] {
            (0..<n).map { _ in ((capital * (drift + sd * rng.gaussian())) * 100).rounded() / 100 }
        }
        var long = walk(756, capital: 1_000_000, drift: 0.0004, sd: 0.01)
        long[0] = -abs(long[0]) - 5_000
        // A first-day loss deeper than anything after it: its drawdown is measured from the capital.
        var short = walk(15, capital: 50_000, drift: 0.001, sd: 0.01)
        short[0] = -7_500
        let climb = (0..<8).map { Double($0 + 1) * 12.5 }
        let ruin = walk(60, capital: 100_000, drift: -0.03, sd: 0.02)
        return [
            Series(name: "random walk, first-day loss", capital: 1_000_000, pnl: long),
            Series(name: "short, first-day loss", capital: 50_000, pnl: short),
            Series(name: "no losing day", capital: 10_000, pnl: climb),
            Series(name: "crosses zero", capital: 100_000, pnl: ruin),
        ]
    }

    /// Weekdays from 2021-01-04 (a Monday).
    static func weekdays(_ n: Int) -> [String] {
        var out: [String] = []
        var day = CivilDate(year: 2021, month: 1, day: 4)!
        while out.count < n {
            if !day.isWeekend { out.append(day.description) }
            day = day.adding(days: 1)
        }
        return out
    }

    static func pnlCSV(_ s: Series) -> String {
        var text = "date,pnl,cumulative_pnl\n"
        var cumulative = 0.0
        for (d, p) in zip(weekdays(s.pnl.count), s.pnl) {
            cumulative += p
            text += "\(d),\(String(format: "%.2f", p)),\(String(format: "%.2f", cumulative))\n"
        }
        return text
    }

    func testReturnStatisticsAgreeWithEmpyrical() throws {
        let python = try Prerequisite.testPython()
        let dir = TestFiles.makeTempDir(self, "analytics-reference")
        TestFiles.write(Self.reference, to: dir + "/reference.py")
        var sawRuin = false, sawNoSortino = false
        for (i, s) in Self.series().enumerated() {
            let path = "\(dir)/pnl-\(i).csv"
            TestFiles.write(Self.pnlCSV(s), to: path)
            let ours = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: path, tradesCSVPath: nil, capital: s.capital), s.name)
            // stdout only: numpy's warnings (a division by a zero deviation) go to stderr.
            guard let out = CommandRunner.run(python, [dir + "/reference.py", path, String(s.capital)], timeout: 120),
                  out.status == 0, let theirs = try? JSONParser.parse(out.text) else {
                return XCTFail("\(s.name): the reference script failed (see stderr)")
            }
            XCTAssertEqual(ours.ruined, theirs["ruined"].boolValue, s.name)
            let json = ours.json()
            for key in ["sharpe", "sortino", "volatility", "total_return", "cagr", "calmar"] {
                assertClose(json[key] ?? .null, theirs[key], "\(s.name): \(key)")
            }
            if ours.ruined {
                sawRuin = true
                XCTAssertEqual(ours.maxDrawdown, -1, s.name)
                XCTAssertLessThanOrEqual(try XCTUnwrap(theirs["max_drawdown"].doubleValue), -1, s.name)
            } else {
                assertClose(json["max_drawdown"] ?? .null, theirs["max_drawdown"], "\(s.name): max_drawdown")
            }
            sawNoSortino = sawNoSortino || ours.sortino == nil
        }
        XCTAssertTrue(sawRuin, "one series must cross zero")
        XCTAssertTrue(sawNoSortino, "one series must have no losing day")
    }

    /// Both null, or within 1e-9 of each other relative to the larger (1e-12 absolute around zero).
    func assertClose(_ ours: JSONValue, _ theirs: JSONValue, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a = ours.doubleValue, let b = theirs.doubleValue else {
            XCTAssertTrue(ours.isNull && theirs.isNull, "\(what): ours \(ours), empyrical \(theirs)", file: file, line: line)
            return
        }
        let tolerance = max(1e-9 * max(abs(a), abs(b)), 1e-12)
        XCTAssertLessThanOrEqual(abs(a - b), tolerance, "\(what): ours \(a), empyrical \(b)", file: file, line: line)
    }
}

/// The series come from Base's seeded SplitMix64, so they are the same on every machine and run.
extension SplitMix64 {
    /// Uniform in (0, 1].
    mutating func uniform() -> Double { Double((next() >> 11) + 1) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}
