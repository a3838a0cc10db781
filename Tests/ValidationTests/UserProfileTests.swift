import Foundation
import JSON
import XCTest
@testable import Validation

final class UserProfileTests: XCTestCase {
    static let config = """
        {"profiles": {"signals": {
          "description": "signal files of the momentum scripts",
          "files": {
            "signals.csv": {"columns": ["ts", "symbol", "signal"], "optional_columns": ["note"], "min_rows": 2,
                            "min_size": 10, "not_empty": ["symbol"], "strictly_sorted": "ts", "unique": "id",
                            "bounds": {"signal": {"min": -1, "max": 1}}},
            "stats.json": {"keys": ["sharpe", "params.capital"]},
            "extra/optional.csv": {"required": false, "columns": ["a"]}
          }}}}
        """

    func makeConfig() throws -> ValidationConfig {
        try ValidationConfig.parse(try JSONParser.parse(Self.config).objectValue!)
    }

    func testCleanFilesPass() throws {
        let run = TestSupport.tempDir("user")
        TestSupport.write("ok\n", to: run + "/execution.log")
        TestSupport.write("ts,id,symbol,signal\n2024-01-02T09:30:00,1,AAPL,0.5\n2024-01-02T09:31:00,2,MSFT,-1\n", to: run + "/results/signals.csv")
        TestSupport.write(#"{"sharpe": 1.2, "params": {"capital": 100000}}"#, to: run + "/results/stats.json")
        let r = try TestSupport.validate(ValidationContext(resultsDir: run + "/results", runDir: run),
                                         config: try makeConfig(), profile: "signals")
        XCTAssertEqual(r.profile, "signals")
        XCTAssertTrue(r.valid, r.dump)
        XCTAssertEqual(r.warningRules, ["signals.optional_columns"], r.dump)
        XCTAssertEqual(r.fileChecks["signals.csv"]?.rowCount, 2)
        XCTAssertEqual(r.fileChecks["extra/optional.csv"]?.exists, false)
        XCTAssertNil(r.capital)
    }

    func testEveryRuleFires() throws {
        let run = TestSupport.tempDir("user")
        TestSupport.write("ok\n", to: run + "/execution.log")
        TestSupport.write("""
            ts,id,symbol,signal,note
            2024-01-02T09:30:00,1,AAPL,0.5,
            2024-01-02T09:30:00,2,,2,
            2024-01-02T09:29:00,1,MSFT,abc,
            """ + "\n", to: run + "/results/signals.csv")
        TestSupport.write(#"{"sharpe": 1.2, "params": {}"#, to: run + "/results/stats.json")
        let r = try TestSupport.validate(ValidationContext(resultsDir: run + "/results", runDir: run),
                                         config: try makeConfig(), profile: "signals")
        XCTAssertFalse(r.valid)
        XCTAssertEqual(r.issues.map(\.message), [
            "signals.csv:3: symbol is empty",
            "signals.csv:3: ts \"2024-01-02T09:30:00\" repeats \"2024-01-02T09:30:00\" on line 2 (must be strictly increasing)",
            "signals.csv:3: signal 2 is above the maximum 1",
            "signals.csv:4: ts \"2024-01-02T09:29:00\" comes before \"2024-01-02T09:30:00\" on line 3 (must be strictly increasing)",
            "signals.csv:4: id \"1\" repeats the value on line 2",
            "signals.csv:4: signal \"abc\" is not a number",
            "stats.json:1: is not valid JSON: unexpected end of input (byte 28)",
        ], r.dump)

        // Missing files, missing columns, too few rows, missing keys.
        try FileManager.default.removeItem(atPath: run + "/results/signals.csv")
        TestSupport.write(#"{"sharpe": 1.2}"#, to: run + "/results/stats.json")
        let m = try TestSupport.validate(ValidationContext(resultsDir: run + "/results", runDir: run),
                                         config: try makeConfig(), profile: "signals")
        XCTAssertEqual(m.issues.map(\.message), [
            "signals.csv: missing: the profile requires this file",
            "stats.json: lacks params.capital",
        ])
        TestSupport.write("ts,signal\n1,0\n", to: run + "/results/signals.csv")
        let c = try TestSupport.validate(ValidationContext(resultsDir: run + "/results", runDir: run),
                                         config: try makeConfig(), profile: "signals")
        XCTAssertEqual(c.errorRules, ["signals.required_columns", "signals.min_rows", "stats.required_keys"], c.dump)
        XCTAssertTrue(c.errors[0].message.contains("missing required columns symbol, id"), c.errors[0].message)
    }

    func testDefaultProfileFromConfig() throws {
        var config = try makeConfig()
        config.defaultProfile = "signals"
        let r = try TestSupport.validate(ValidationContext(resultsDir: TestSupport.tempDir("user")), config: config)
        XCTAssertEqual(r.profile, "signals")
        XCTAssertEqual(r.errorRules, ["signals.exists", "stats.exists"])
        XCTAssertEqual(r.warningRules, ["log.exists"])
    }
}
