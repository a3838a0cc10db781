import Foundation
import JSON
import XCTest
@testable import Validation

final class ValidationConfigTests: XCTestCase {
    func parse(_ json: String) throws -> ValidationConfig {
        try ValidationConfig.parse(try JSONParser.parse(json).objectValue!)
    }

    func assertConfigError(_ json: String, key: String, reason: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try parse(json)
            XCTFail("accepted \(json)", file: file, line: line)
        } catch let e as ValidationConfigError {
            XCTAssertEqual(e.key, key, file: file, line: line)
            XCTAssertTrue(e.reason.contains(reason), "\(e.reason)", file: file, line: line)
        } catch { XCTFail("\(error)", file: file, line: line) }
    }

    func testDefaults() throws {
        let c = try ValidationConfig.parse(nil)
        XCTAssertEqual(c.defaultProfile, "backtest")
        XCTAssertEqual(c.maxLossPerTrade, 10_000)
        XCTAssertEqual(c.minTrades, 10)
        XCTAssertEqual(c.maxDrawdownPct, 30)
        XCTAssertEqual(c.capital, 1_000_000)
        XCTAssertEqual(c.tolerance, .init(absolute: 0.01, relative: 1e-6))
        XCTAssertEqual(c.calendar, .weekdays)
        XCTAssertEqual(c.profileNames, ["backtest", "none"])
        XCTAssertEqual(try parse("{\"runs_dir\": \"x\"}").profileNames, ["backtest", "none"])
    }

    func testFullConfig() throws {
        let c = try parse("""
            {"validation": {"default_profile": "signals", "calendar": "xnys", "holidays": ["2024-11-29"],
              "capital": 250000, "tolerance": {"absolute": 0.05, "relative": 1e-7},
              "rules": {"max_loss_per_trade": 5000, "min_trades": 3, "max_drawdown_pct": 20},
              "severity": {"trades.min_trades": "error", "log.exists": "off", "signals.sorted": "warning"}},
             "profiles": {"signals": {"files": {"signals.csv": {"columns": ["ts", "signal"], "sorted": "ts"}}}}}
            """)
        XCTAssertEqual(c.defaultProfile, "signals")
        XCTAssertEqual(c.calendar.kind, .xnys)
        XCTAssertEqual(c.calendar.extraHolidays, [CivilDate.parse("2024-11-29")!])
        XCTAssertEqual(c.capital, 250_000)
        XCTAssertEqual(c.tolerance.absolute, 0.05)
        XCTAssertEqual(c.minTrades, 3)
        XCTAssertEqual(c.severities["log.exists"], .off)
        XCTAssertEqual(c.severities["signals.sorted"], .warning)
        XCTAssertEqual(c.profileNames, ["backtest", "none", "signals"])
    }

    func testErrorsNameTheKey() {
        assertConfigError(#"{"validation": {"rules": {"min_trades": -1}}}"#, key: "validation.rules.min_trades",
                          reason: "expected a non-negative integer")
        assertConfigError(#"{"validation": {"rules": {"min_trades": 2.5}}}"#, key: "validation.rules.min_trades",
                          reason: "expected a non-negative integer")
        assertConfigError(#"{"validation": {"rules": {"max_loss": 1}}}"#, key: "validation.rules.max_loss", reason: "unknown key")
        assertConfigError(#"{"validation": {"calendar": "LSE"}}"#, key: "validation.calendar", reason: "expected \"weekdays\" or \"XNYS\"")
        assertConfigError(#"{"validation": {"holidays": ["2024-13-01"]}}"#, key: "validation.holidays[0]", reason: "YYYY-MM-DD")
        assertConfigError(#"{"validation": {"severity": {"trades.min_trade": "off"}}}"#,
                          key: #"validation.severity["trades.min_trade"]"#, reason: "unknown rule id")
        assertConfigError(#"{"validation": {"severity": {"trades.min_trades": "fatal"}}}"#,
                          key: #"validation.severity["trades.min_trades"]"#, reason: "\"error\", \"warning\" or \"off\"")
        assertConfigError(#"{"validation": {"default_profile": "nope"}}"#, key: "validation.default_profile", reason: "no profile")
        assertConfigError(#"{"validation": {"capital": 0}}"#, key: "validation.capital", reason: "positive")
        assertConfigError(#"{"validation": []}"#, key: "validation", reason: "expected an object")
        assertConfigError(#"{"profiles": {"backtest": {"files": {"a.csv": {}}}}}"#, key: "profiles.backtest", reason: "built-in")
        assertConfigError(#"{"profiles": {"none": {}}}"#, key: "profiles.none", reason: "built-in")
        assertConfigError(#"{"profiles": {"p": {"files": {"a.csv": {"min_rows": "3"}}}}}"#,
                          key: #"profiles.p.files["a.csv"].min_rows"#, reason: "non-negative integer")
        assertConfigError(#"{"profiles": {"p": {"files": {"../x.csv": {}}}}}"#, key: #"profiles.p.files["../x.csv"]"#,
                          reason: "relative path")
        assertConfigError(#"{"profiles": {"p": {"files": {"s.json": {"columns": ["a"]}}}}}"#,
                          key: #"profiles.p.files["s.json"].columns"#, reason: "CSV files only")
        assertConfigError(#"{"profiles": {"p": {"files": {"a.csv": {"bounds": {"x": {"min": 2, "max": 1}}}}}}}"#,
                          key: #"profiles.p.files["a.csv"].bounds.x"#, reason: "min is greater than max")
    }

    func testSeverityOverrides() throws {
        let huge = try TestSupport.makeRun(defect: "huge_loss")
        let strict = try parse(#"{"validation": {"severity": {"trades.max_loss_per_trade": "error"}}}"#)
        let r = try TestSupport.validate(huge, config: strict)
        XCTAssertFalse(r.valid)
        XCTAssertEqual(r.errorRules, ["trades.max_loss_per_trade"])
        XCTAssertEqual(r.fileChecks["trades.csv"]?.errors.count, 1)

        let off = try parse(#"{"validation": {"severity": {"trades.max_loss_per_trade": "off"}}}"#)
        XCTAssertEqual(try TestSupport.validate(huge, config: off).issues.count, 0)

        let gap = try TestSupport.makeRun(defect: "date_gap")
        let lenient = try parse(#"{"validation": {"severity": {"pnl.missing_days": "warning"}}}"#)
        let g = try TestSupport.validate(gap, config: lenient)
        XCTAssertTrue(g.valid)
        XCTAssertEqual(g.warningRules, ["pnl.missing_days"], g.dump)
    }

    func testRuleLimitsAndCapitalSource() throws {
        let ctx = try TestSupport.makeRun(defect: "deep_drawdown")
        // The drawdown is about 45%: a 50% limit passes it.
        let loose = try parse(#"{"validation": {"rules": {"max_drawdown_pct": 50}}}"#)
        XCTAssertEqual(try TestSupport.validate(ctx, config: loose).warningRules, ["reconcile.total_pnl"])

        let r = try TestSupport.validate(ctx)
        let dd = r.warnings.first { $0.rule == "pnl.max_drawdown" }!
        XCTAssertTrue(dd.message.contains("capital 1000000.00 from metadata.json"), dd.message)
        XCTAssertEqual(dd.file, "pnl.csv")
        // The loss is on line 42 (day 41 of 60); equity keeps sliding to its trough on line 46.
        XCTAssertEqual(dd.line, 46)
        XCTAssertTrue(dd.message.contains("(2020-02-25, line 41)"), dd.message)

        var withParams = ctx
        withParams.params = ["capital": 5_000_000]
        let p = try TestSupport.validate(withParams)
        XCTAssertEqual(p.capitalSource, "params")
        // Against five times the capital, the same loss is a ~9% drawdown: no warning.
        XCTAssertEqual(p.warningRules, ["reconcile.total_pnl"], p.dump)

        try FileManager.default.removeItem(atPath: ctx.resultsDir + "/metadata.json")
        let c = try TestSupport.validate(ctx)
        XCTAssertEqual(c.capitalSource, "config")
        XCTAssertTrue(c.warnings.contains { $0.message.contains("from config") }, c.dump)
        XCTAssertTrue(c.warningRules.contains("metadata.exists"))

        let few = try TestSupport.makeRun(trades: 5, days: 20)
        XCTAssertEqual(try TestSupport.validate(few).warningRules, ["trades.min_trades"])
        XCTAssertEqual(try TestSupport.validate(few, config: try parse(#"{"validation": {"rules": {"min_trades": 5}}}"#)).issues.count, 0)
    }

    func testUnknownProfile() throws {
        let ctx = ValidationContext(resultsDir: "/nonexistent")
        XCTAssertThrowsError(try Validator.validate(profile: "nope", config: ValidationConfig(), context: ctx)) { e in
            XCTAssertEqual(e as? ProfileNotFound, ProfileNotFound(profile: "nope", available: ["backtest", "none"]))
        }
    }

    /// The built-in `none` profile checks nothing (valid, `skipped: true`); an empty user profile is allowed
    /// (it checks only the log); `none` may be the default profile.
    func testProfileNoneAndEmptyProfiles() throws {
        let ctx = ValidationContext(resultsDir: "/nonexistent")
        let none = try Validator.validate(profile: "none", config: ValidationConfig(), context: ctx)
        XCTAssertTrue(none.valid)
        XCTAssertTrue(none.skipped)
        XCTAssertEqual(none.issues.count, 0)
        XCTAssertEqual(none.json()["skipped"], true)
        XCTAssertEqual(none.json()["profile"], "none")
        XCTAssertEqual(try Validator.validate(profile: nil, config: ValidationConfig(), context: ctx).json()["skipped"], .null)

        let c = try parse(#"{"validation": {"default_profile": "none"}, "profiles": {"empty": {}, "log_only": {"files": {}}}}"#)
        XCTAssertEqual(c.profileNames, ["backtest", "none", "empty", "log_only"])
        XCTAssertEqual(try Validator.validate(profile: nil, config: c, context: ctx).skipped, true)
        let empty = try Validator.validate(profile: "empty", config: c, context: ctx)
        XCTAssertFalse(empty.skipped)
        XCTAssertTrue(empty.valid, "an empty profile has no error-level rule")
        XCTAssertEqual(empty.warnings.map(\.rule), ["log.exists"])
        let quiet = try parse(#"{"profiles": {"nothing": {"check_log": false}}}"#)
        XCTAssertEqual(try Validator.validate(profile: "nothing", config: quiet, context: ctx).issues.count, 0)
    }

    /// capital, cash, initial_capital, starting_cash, in that order, in params and then in metadata.json.
    func testCapitalNames() throws {
        let dir = TestSupport.tempDir("capital")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(Capital.resolve(params: [:], resultsDir: dir, configured: 5), Capital(value: 5, source: "config"))
        try #"{"parameters": {"starting_cash": 9, "cash": "8"}}"#.write(toFile: dir + "/metadata.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(Capital.resolve(params: [:], resultsDir: dir, configured: 5),
                       Capital(value: 8, source: "metadata.json", name: "cash"))
        XCTAssertEqual(Capital.resolve(params: ["starting_cash": 3, "initial_capital": 2], resultsDir: dir, configured: 5),
                       Capital(value: 2, source: "params", name: "initial_capital"))
        XCTAssertEqual(Capital.resolve(params: ["capital": 1, "cash": 2], resultsDir: dir, configured: 5),
                       Capital(value: 1, source: "params", name: "capital"))
        XCTAssertEqual(Capital.resolve(params: ["capital": 0], resultsDir: dir, configured: 5).source, "metadata.json")
    }
}
