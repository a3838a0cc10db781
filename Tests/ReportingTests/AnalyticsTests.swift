import Foundation
import JSON
import TestSupport
import XCTest

@testable import Reporting

/// Run analytics on series small enough to compute by hand (the arithmetic is in the comments), and on the
/// files a run writes. AnalyticsReferenceTests checks the same code against empyrical on longer series.
final class AnalyticsTests: XCTestCase {
    let days = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
    /// Capital 1000. Returns -10%, +10%, +10%, -20%, +30%, so pnl is return × the day before's equity:
    ///   day  pnl      equity
    ///   1   -100      900       (a first-day loss: below the capital, the first peak)
    ///   2    +90      990
    ///   3    +99     1089       (new peak, 2024-01-04)
    ///   4   -217.8    871.2     (-217.8 / 1089 = -20% from the peak: the deepest drawdown)
    ///   5   +261.36  1132.56    (above 1089: recovered on 2024-01-08)
    let pnl = [-100, 90, 99, -217.8, 261.36]

    func testFiveDaysWithAFirstDayLossByHand() throws {
        let m = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: nil, capital: 1000))
        // r = -0.1, 0.1, 0.1, -0.2, 0.3: sum 0.2, mean 0.04.
        // Deviations from the mean -0.14, 0.06, 0.06, -0.24, 0.26; squares 0.0196 + 0.0036 + 0.0036 + 0.0576
        // + 0.0676 = 0.152; / (5 - 1) = 0.038 = the sample variance.
        let variance = 0.038, mean = 0.04
        XCTAssertEqual(try XCTUnwrap(m.volatility), (variance * 252).squareRoot(), accuracy: 1e-12)  // 3.0945…
        XCTAssertEqual(try XCTUnwrap(m.sharpe), mean / variance.squareRoot() * (252.0).squareRoot(), accuracy: 1e-12)  // 3.2574…
        // Downside over all five days: (0.01 + 0.04) / 5 = 0.01, deviation 0.1, annualised 0.1 × √252.
        // Sortino = 0.04 × 252 / (0.1 × √252) = 0.4 × √252.
        XCTAssertEqual(try XCTUnwrap(m.sortino), 0.4 * (252.0).squareRoot(), accuracy: 1e-12)  // 6.3498…
        XCTAssertEqual(try XCTUnwrap(m.totalReturn), 0.13256, accuracy: 1e-12)  // 1132.56 / 1000 - 1
        XCTAssertEqual(m.maxDrawdown, -0.2, accuracy: 1e-12)
        // From the peak of 2024-01-04 to the recovery on 2024-01-08.
        XCTAssertEqual(m.maxDrawdownDays, 4)
        // Calendar time from 2024-01-01 (the day before the first row) to 2024-01-08: 7 days.
        let cagr = pow(1.13256, 365.25 / 7) - 1
        XCTAssertEqual(try XCTUnwrap(m.cagr), cagr, accuracy: 1e-9 * cagr)  // ≈ 660: a week's gain compounded
        XCTAssertEqual(try XCTUnwrap(m.calmar), cagr / 0.2, accuracy: 1e-9 * cagr / 0.2)
        XCTAssertFalse(m.ruined)
        XCTAssertEqual(m.days, 5)
        XCTAssertEqual(m.startDate, "2024-01-02")
        XCTAssertEqual(m.endDate, "2024-01-08")
        // No trades file: every trade metric is unknown, not zero.
        XCTAssertNil(m.trades)
        XCTAssertNil(m.winRate)
        XCTAssertNil(m.exposure)
        XCTAssertNil(m.fees)
    }

    /// The first-day loss is a drawdown from the capital, whose peak is dated the day before the first row
    /// (2024-01-01); it lasts to 2024-01-04, the first day back at or above 1000 (equity 1089).
    func testAFirstDayLossDrawdownStartsAtTheCapital() throws {
        let m = try XCTUnwrap(RunAnalytics.compute(dates: Array(days.prefix(3)), pnl: Array(pnl.prefix(3)), trades: nil, capital: 1000))
        XCTAssertEqual(m.maxDrawdown, -0.1, accuracy: 1e-12)
        XCTAssertEqual(m.maxDrawdownDays, 3)  // 2024-01-01 → 2024-01-04
    }

    func testAnUnrecoveredDrawdownRunsToTheLastDay() throws {
        // Equity 1100 (peak, 2024-01-02), 990 (-10%), 1045 (-5%): never back at 1100.
        let m = try XCTUnwrap(RunAnalytics.compute(dates: Array(days.prefix(3)), pnl: [100, -110, 55], trades: nil, capital: 1000))
        XCTAssertEqual(m.maxDrawdown, -0.1, accuracy: 1e-12)
        XCTAssertEqual(m.maxDrawdownDays, 2)  // 2024-01-02 → 2024-01-04
    }

    func testEquityCrossingZeroIsRuinAndStopsTheReturns() throws {
        // Capital 1000; pnl 200, -700, -600, 300: equity 1200, 500, -100 (ruined on 2024-01-04), 200.
        let m = try XCTUnwrap(RunAnalytics.compute(dates: Array(days.prefix(4)), pnl: [200, -700, -600, 300], trades: nil, capital: 1000))
        XCTAssertTrue(m.ruined)
        XCTAssertEqual(m.maxDrawdown, -1)
        // Returns up to and including the day of ruin only: 200/1000, -700/1200, -600/500 = 1/5, -7/12, -6/5.
        // Sum -19/12, mean -19/36. Deviations 131/180, -10/180, -121/180; squares sum (17161 + 100 + 14641) / 32400
        // = 31902 / 32400, / 2 = 15951 / 32400, the variance.
        let mean = -19.0 / 36, variance = 15951.0 / 32400
        XCTAssertEqual(try XCTUnwrap(m.sharpe), mean / variance.squareRoot() * (252.0).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(m.volatility), (variance * 252).squareRoot(), accuracy: 1e-12)
        // Downside: (49/144 + 36/25) / 3 over the three days.
        let downside = ((49.0 / 144 + 36.0 / 25) / 3).squareRoot() * (252.0).squareRoot()
        XCTAssertEqual(try XCTUnwrap(m.sortino), mean * 252 / downside, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(m.totalReturn), -1.1, accuracy: 1e-12)  // -100 / 1000 - 1, on the day of ruin
        XCTAssertEqual(m.cagr, -1)
        XCTAssertEqual(m.calmar, -1)
        XCTAssertEqual(m.maxDrawdownDays, 2)  // peak 2024-01-02 → ruin 2024-01-04
        XCTAssertEqual(m.days, 4)  // the file's rows, also the one after the ruin
        XCTAssertEqual(m.endDate, "2024-01-05")
    }

    func testExactlyZeroEquityIsRuin() throws {
        let m = try XCTUnwrap(RunAnalytics.compute(dates: Array(days.prefix(2)), pnl: [-400, -600], trades: nil, capital: 1000))
        XCTAssertTrue(m.ruined)
        XCTAssertEqual(m.maxDrawdown, -1)
        XCTAssertEqual(m.totalReturn, -1)
    }

    func testUndefinedMetricsAreNullNeverNaN() throws {
        // One day: no deviation of one return; no drawdown, so no calmar.
        let one = try XCTUnwrap(RunAnalytics.compute(dates: ["2024-01-02"], pnl: [10], trades: [], capital: 1000))
        XCTAssertNil(one.sharpe)
        XCTAssertNil(one.volatility)
        XCTAssertNil(one.sortino)
        XCTAssertEqual(one.maxDrawdown, 0)
        XCTAssertEqual(one.maxDrawdownDays, 0)
        XCTAssertNil(one.calmar)
        XCTAssertEqual(try XCTUnwrap(one.cagr), pow(1.01, 365.25) - 1, accuracy: 1e-9)  // one calendar day
        // An empty trades file: no trades, rates undefined, exposure 0 (no position was ever open).
        XCTAssertEqual(one.trades, 0)
        XCTAssertNil(one.winRate)
        XCTAssertNil(one.profitFactor)
        XCTAssertNil(one.averageWin)
        XCTAssertEqual(one.exposure, 0)
        // Equal returns: zero deviation, so no sharpe; no losing day, so no sortino.
        let flat = try XCTUnwrap(RunAnalytics.compute(dates: Array(days.prefix(3)), pnl: [0, 0, 0], trades: nil, capital: 1000))
        XCTAssertNil(flat.sharpe)
        XCTAssertNil(flat.sortino)
        XCTAssertEqual(flat.volatility, 0)
        // Dates that are not YYYY-MM-DD: nothing that needs calendar time.
        let undated = try XCTUnwrap(RunAnalytics.compute(dates: ["day 1", "day 2"], pnl: [10, -5], trades: nil, capital: 1000))
        XCTAssertNil(undated.cagr)
        XCTAssertNil(undated.maxDrawdownDays)
        XCTAssertNotNil(undated.sharpe)
        XCTAssertEqual(undated.startDate, "day 1")
        let text = String(decoding: JSONWriter.encode(.object(undated.json())), as: UTF8.self)
        XCTAssertFalse(text.contains("nan") || text.contains("inf"), text)
        XCTAssertNil(RunAnalytics.compute(dates: [], pnl: [], trades: nil, capital: 1000))
        XCTAssertNil(RunAnalytics.compute(dates: ["2024-01-02"], pnl: [1], trades: nil, capital: 0))
        XCTAssertNil(RunAnalytics.compute(dates: ["2024-01-02"], pnl: [1, 2], trades: nil, capital: 1000))
    }

    func testTradesWithoutALossHaveNoProfitFactor() throws {
        let trades = [TradeFigures(pnl: 10), TradeFigures(pnl: 20), TradeFigures(pnl: 0)]
        let m = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: trades, capital: 1000))
        XCTAssertEqual(m.trades, 3)
        XCTAssertEqual(try XCTUnwrap(m.winRate), 2.0 / 3, accuracy: 1e-15)  // a trade at 0 is not a win
        XCTAssertNil(m.profitFactor)
        XCTAssertEqual(m.averageWin, 15)
        XCTAssertNil(m.averageLoss)
        XCTAssertNil(m.fees)
        XCTAssertNil(m.exposure, "trades without entry and exit times")
        XCTAssertEqual(m.json()["profit_factor"], .null)
    }

    func testWinsLossesAndProfitFactor() throws {
        let trades = [TradeFigures(pnl: 30), TradeFigures(pnl: -10), TradeFigures(pnl: 50), TradeFigures(pnl: -30)]
        let m = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: trades, capital: 1000))
        XCTAssertEqual(m.winRate, 0.5)
        XCTAssertEqual(m.profitFactor, 2)  // 80 / |-40|
        XCTAssertEqual(m.averageWin, 40)
        XCTAssertEqual(m.averageLoss, -20)
    }

    /// Pnl days 01-02, 01-03, 01-04, 01-05, 01-08 (a weekend between the last two).
    func testExposureCountsPnLDaysWithAPositionOpen() throws {
        let trades = [
            TradeFigures(pnl: 1, entryTime: "2024-01-02T10:00:00", exitTime: "2024-01-03T15:00:00"),  // 01-02, 01-03
            TradeFigures(pnl: 1, entryTime: "2024-01-02 11:00:00", exitTime: "2024-01-02 12:00:00"),  // 01-02 again
            TradeFigures(pnl: 1, entryTime: "2024-01-05T10:00:00Z", exitTime: "2024-01-08T10:00:00Z"),  // 01-05, 01-08
            TradeFigures(pnl: 1, entryTime: "2023-12-01", exitTime: "2023-12-02"),  // before the pnl days
        ]
        let m = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: trades, capital: 1000))
        XCTAssertEqual(m.exposure, 0.8)  // 4 of 5: not 01-04
        // A trade that opens before the first day and closes after the last covers them all.
        let whole = [TradeFigures(pnl: 1, entryTime: "2023-06-01", exitTime: "2025-01-01")]
        XCTAssertEqual(RunAnalytics.compute(dates: days, pnl: pnl, trades: whole, capital: 1000)?.exposure, 1)
        // One timestamp that is not a date: not derivable.
        let epoch = trades + [TradeFigures(pnl: 1, entryTime: "1704189600", exitTime: "1704193200")]
        XCTAssertNil(RunAnalytics.compute(dates: days, pnl: pnl, trades: epoch, capital: 1000)?.exposure)
    }

    func testJSONKeysInOrder() throws {
        let m = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: [TradeFigures(pnl: 5, fees: 1.5)], capital: 1000))
        let json = m.json()
        XCTAssertEqual(json.keys, ["total_return", "cagr", "volatility", "sharpe", "sortino", "max_drawdown",
                                   "max_drawdown_days", "calmar", "win_rate", "profit_factor", "trades", "avg_win",
                                   "avg_loss", "fees", "exposure", "ruined", "days", "start_date", "end_date"])
        XCTAssertEqual(json["max_drawdown_days"], .int(4))
        XCTAssertEqual(json["trades"], .int(1))
        XCTAssertEqual(json["fees"], .double(1.5))
        XCTAssertEqual(json["avg_loss"], .null)
        XCTAssertEqual(json["ruined"], .bool(false))
        XCTAssertEqual(json["days"], .int(5))
        XCTAssertEqual(json["start_date"], .string("2024-01-02"))
    }

    // MARK: - Files

    /// The five hand-computed days as the run writes them.
    func writePnL(to dir: String, cumulativeOnly: Bool = false) -> String {
        var cumulative = 0.0
        var text = cumulativeOnly ? "date,cumulative_pnl\n" : "date,pnl,cumulative_pnl\n"
        for (d, p) in zip(days, pnl) {
            cumulative += p
            text += cumulativeOnly ? "\(d),\(cumulative)\n" : "\(d),\(p),\(cumulative)\n"
        }
        TestFiles.write(text, to: dir + "/pnl.csv")
        return dir + "/pnl.csv"
    }

    func testTheFilesGiveWhatTheValuesGive() throws {
        let dir = TestFiles.makeTempDir(self, "analytics")
        let pnlPath = writePnL(to: dir)
        TestFiles.write("""
            entry_time,exit_time,symbol,pnl,fees
            2024-01-02T10:00:00,2024-01-03T15:00:00,SPY,30,1.25
            "2024-01-05 10:00:00",2024-01-08T10:00:00,"SPY, call",-10,0.75
            2024-01-05T11:00:00,2024-01-05T12:00:00,QQQ,50,
            2024-01-05T11:00:00,2024-01-05T12:00:00,QQQ,n/a,9
            2024-01-08T11:00:00,2024-01-08T12:00:00,QQQ,"-30",1

            """, to: dir + "/trades.csv")
        let fromFiles = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: pnlPath, tradesCSVPath: dir + "/trades.csv", capital: 1000))
        let trades = [
            TradeFigures(pnl: 30, fees: 1.25, entryTime: "2024-01-02T10:00:00", exitTime: "2024-01-03T15:00:00"),
            TradeFigures(pnl: -10, fees: 0.75, entryTime: "2024-01-05 10:00:00", exitTime: "2024-01-08T10:00:00"),
            TradeFigures(pnl: 50, entryTime: "2024-01-05T11:00:00", exitTime: "2024-01-05T12:00:00"),
            TradeFigures(pnl: -30, fees: 1, entryTime: "2024-01-08T11:00:00", exitTime: "2024-01-08T12:00:00"),
        ]
        let fromValues = try XCTUnwrap(RunAnalytics.compute(dates: days, pnl: pnl, trades: trades, capital: 1000))
        XCTAssertEqual(fromFiles, fromValues)
        // The row whose pnl is n/a is no trade, and its fee does not count either; the empty fee counts as none.
        XCTAssertEqual(fromFiles.trades, 4)
        XCTAssertEqual(fromFiles.fees, 3)
        XCTAssertEqual(fromFiles.exposure, 0.8)
        XCTAssertEqual(fromFiles.profitFactor, 2)  // 80 / |-40|
    }

    func testFeeColumnNamesAndTheirAbsence() throws {
        let dir = TestFiles.makeTempDir(self, "analytics")
        let pnlPath = writePnL(to: dir)
        TestFiles.write("entry_time,exit_time,pnl,commission\n2024-01-02,2024-01-02,5,-0.5\n2024-01-03,2024-01-03,-5,-0.5\n", to: dir + "/c.csv")
        XCTAssertEqual(RunAnalytics.compute(pnlCSVPath: pnlPath, tradesCSVPath: dir + "/c.csv", capital: 1000)?.fees, -1)
        TestFiles.write("entry_time,exit_time,pnl,fee\n2024-01-02,2024-01-02,5,\n", to: dir + "/f.csv")
        XCTAssertEqual(RunAnalytics.compute(pnlCSVPath: pnlPath, tradesCSVPath: dir + "/f.csv", capital: 1000)?.fees, 0)
        TestFiles.write("entry_time,exit_time,pnl\n2024-01-02,2024-01-02,5\n", to: dir + "/none.csv")
        let none = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: pnlPath, tradesCSVPath: dir + "/none.csv", capital: 1000))
        XCTAssertNil(none.fees)
        XCTAssertEqual(none.json()["fees"], .null)
        XCTAssertEqual(none.trades, 1)
    }

    func testCumulativePnLAloneGivesTheSameSeries() throws {
        let dir = TestFiles.makeTempDir(self, "analytics")
        let both = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: writePnL(to: dir), tradesCSVPath: nil, capital: 1000))
        let cumulative = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: writePnL(to: dir, cumulativeOnly: true), tradesCSVPath: nil, capital: 1000))
        // Differences of a running sum are the pnl up to rounding of the sum.
        XCTAssertEqual(try XCTUnwrap(cumulative.sharpe), try XCTUnwrap(both.sharpe), accuracy: 1e-9)
        XCTAssertEqual(cumulative.maxDrawdown, both.maxDrawdown, accuracy: 1e-12)
        XCTAssertEqual(cumulative.days, 5)
    }

    func testMissingOrUnusableFiles() throws {
        let dir = TestFiles.makeTempDir(self, "analytics")
        XCTAssertNil(RunAnalytics.compute(pnlCSVPath: dir + "/nope.csv", tradesCSVPath: nil, capital: 1000))
        TestFiles.write("date,pnl,cumulative_pnl\n", to: dir + "/header.csv")
        XCTAssertNil(RunAnalytics.compute(pnlCSVPath: dir + "/header.csv", tradesCSVPath: nil, capital: 1000))
        TestFiles.write("date,value\n2024-01-02,5\n", to: dir + "/columns.csv")
        XCTAssertNil(RunAnalytics.compute(pnlCSVPath: dir + "/columns.csv", tradesCSVPath: nil, capital: 1000))
        // Unusable rows are left out; a missing trades file leaves the trade metrics null.
        TestFiles.write("date,pnl,cumulative_pnl\r\n2024-01-02,10,10\r\n2024-01-03,,\r\n2024-01-04,nan,10\r\n2024-01-05,-5,5\r\n", to: dir + "/pnl.csv")
        let m = try XCTUnwrap(RunAnalytics.compute(pnlCSVPath: dir + "/pnl.csv", tradesCSVPath: dir + "/no-trades.csv", capital: 1000))
        XCTAssertEqual(m.days, 2)
        XCTAssertEqual(m.endDate, "2024-01-05")
        XCTAssertNil(m.trades)
        XCTAssertNil(m.exposure)
    }
}
