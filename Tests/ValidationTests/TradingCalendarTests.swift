import Base
import Foundation
import TestSupport
import XCTest
@testable import Validation

final class TradingCalendarTests: XCTestCase {
    func d(_ s: String) -> CivilDate { CivilDate.parse(s)! }

    func holidays(_ year: Int) -> [String] {
        var out: [String] = []
        var day = CivilDate(year: year, month: 1, day: 1)!
        while day.components.year == year {
            if !day.isWeekend && !TradingCalendar.xnys.isTradingDay(day) { out.append(day.description) }
            day = day.adding(days: 1)
        }
        return out
    }

    func testNYSEHolidaysMatchThePublishedCalendars() {
        XCTAssertEqual(holidays(2022), ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20",
                                        "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"])
        XCTAssertEqual(holidays(2023), ["2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29",
                                        "2023-06-19", "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25"])
        XCTAssertEqual(holidays(2024), ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27",
                                        "2024-06-19", "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"])
        XCTAssertEqual(holidays(2025), ["2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18",
                                        "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27",
                                        "2025-12-25"])
        XCTAssertEqual(holidays(2026), ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25",
                                        "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"])
    }

    /// Every weekday of 1990–2030 against exchange_calendars' XNYS (an independent implementation, from PyPI,
    /// in the test run's own venv): not one disagreement.
    func testXNYSAgreesWithAnIndependentCalendarFrom1990To2030() throws {
        let python = try Prerequisite.testPython()
        let out = try TestSupport.run(python, ["-c", """
            import exchange_calendars as xc
            cal = xc.get_calendar("XNYS", start="1990-01-01", end="2030-12-31")
            print("\\n".join(d.strftime("%Y-%m-%d") for d in cal.sessions))
            """])
        let theirs = Set(out.split(separator: "\n").map(String.init))
        XCTAssertGreaterThan(theirs.count, 10_000, "exchange_calendars gave no sessions")
        var ours = Set<String>()
        var day = d("1990-01-01")
        while day <= d("2030-12-31") {
            if TradingCalendar.xnys.isTradingDay(day) { ours.insert(day.description) }
            day = day.adding(days: 1)
        }
        XCTAssertEqual(ours.subtracting(theirs).sorted(), [], "we trade, XNYS is closed")
        XCTAssertEqual(theirs.subtracting(ours).sorted(), [], "XNYS trades, we are closed")
        XCTAssertFalse(TradingCalendar.xnys.isTradingDay(d("1994-04-27")), "Nixon's funeral")
    }

    func testObservanceRules() {
        // New Year's Day on a Saturday is not observed on the Friday before (2021-12-31 traded).
        XCTAssertTrue(TradingCalendar.xnys.isTradingDay(d("2021-12-31")))
        // Juneteenth only from 2022.
        XCTAssertTrue(TradingCalendar.xnys.isTradingDay(d("2021-06-18")))
        // Special closures.
        XCTAssertFalse(TradingCalendar.xnys.isTradingDay(d("2012-10-29")))
        XCTAssertFalse(TradingCalendar.xnys.isTradingDay(d("2001-09-11")))
        XCTAssertEqual(NYSEHolidays.goodFriday(year: 2019).description, "2019-04-19")
        XCTAssertEqual(NYSEHolidays.goodFriday(year: 2000).description, "2000-04-21")
    }

    func testWeekdaysWithHolidays() {
        let cal = TradingCalendar(kind: .weekdays, holidays: [d("2024-01-26")])
        XCTAssertFalse(cal.isTradingDay(d("2024-01-26")))
        XCTAssertTrue(cal.isTradingDay(d("2024-01-01")))
        XCTAssertFalse(cal.isTradingDay(d("2024-01-27")))
        XCTAssertEqual(cal.tradingDays(after: d("2024-01-25"), before: d("2024-01-30")).map(\.description), ["2024-01-29"])
    }

    func testCivilDate() {
        XCTAssertEqual(d("1970-01-01").day, 0)
        XCTAssertEqual(d("2024-02-29").adding(days: 1).description, "2024-03-01")
        XCTAssertNil(CivilDate.parse("2023-02-29"))
        XCTAssertNil(CivilDate.parse("2023-13-01"))
        XCTAssertEqual(CivilDate.parse("2024-01-02 00:00:00")?.description, "2024-01-02")
        XCTAssertEqual(d("2024-01-06").weekday, 6)
        XCTAssertEqual(ISOTime.format(epochSeconds: Date(timeIntervalSince1970: 1_795_256_000.123).timeIntervalSince1970), "2026-11-21T10:13:20.123Z")
    }

    /// A real exchange's pnl.csv that skips its holidays passes under its calendar and fails under weekdays.
    func testHolidaySkippingPnLPassesUnderXNYSOnly() throws {
        let python = try TestSupport.requirePython()
        let runDir = TestSupport.tempDir("xnys")
        let results = runDir + "/results"
        TestSupport.write("ok\n", to: runDir + "/execution.log")
        // NYSE trading days of 2024, from our own calendar (its holidays are checked above against the published list).
        var dates: [String] = []
        var day = d("2024-01-01")
        while day.components.year == 2024 {
            if TradingCalendar.xnys.isTradingDay(day) { dates.append(day.description) }
            day = day.adding(days: 1)
        }
        XCTAssertEqual(dates.count, 252)
        let list = dates.map { "d('\($0)')" }.joined(separator: ",")
        let code = """
            import sys, datetime; sys.path.insert(0, sys.argv[1]); import make_outputs
            d = datetime.date.fromisoformat
            make_outputs.generate(sys.argv[2], trades=600, dates=[\(list)])
            """
        try TestSupport.run(python, ["-c", code, (TestSupport.generator as NSString).deletingLastPathComponent, results])
        let ctx = ValidationContext(resultsDir: results, runDir: runDir)

        var xnys = ValidationConfig()
        xnys.calendar = .xnys
        let pass = try TestSupport.validate(ctx, config: xnys)
        XCTAssertTrue(pass.valid, pass.dump)
        XCTAssertEqual(pass.issues.count, 0, pass.dump)
        XCTAssertEqual(pass.calendar, "XNYS")

        let fail = try TestSupport.validate(ctx)
        XCTAssertFalse(fail.valid)
        // The nine weekday holidays of 2024 (2024-01-01 is the first date, so it is not "between").
        XCTAssertEqual(fail.errorRules, Array(repeating: "pnl.missing_days", count: 9), fail.dump)
        XCTAssertTrue(fail.errors[0].message.contains("missing trading day 2024-01-15"), fail.errors[0].message)

        // The config's holiday list makes weekdays pass too.
        let parsed = try ValidationConfig.parse(["validation": ["holidays": .array(
            ["2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02",
             "2024-11-28", "2024-12-25"].map { .string($0) })]])
        XCTAssertEqual(try TestSupport.validate(ctx, config: parsed).issues.count, 0)
    }
}
