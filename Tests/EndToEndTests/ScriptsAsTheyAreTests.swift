import Foundation
import Glibc
import JSON
import XCTest

/// A quant's existing scripts, as they are, through the built binary: a strict argparse script that refuses
/// `--output_dir`, running without checks (`profile: "none"`), the report's capital and drawdown agreeing
/// with validation, and params reaching the script as the client wrote them.
final class ScriptsAsTheyAreTests: XCTestCase {
    var ws: RunWorkspace!

    override func setUpWithError() throws { ws = try RunWorkspace() }
    override func tearDown() { ws?.removeAfterSupervisors() }

    /// A real argparse script: strict `parse_args`, knows `--x` and nothing else; writes its argv (after the
    /// script) as JSON into $BACKTEST_OUTPUT_DIR/argv.json.
    static let argparseScript = """
        import argparse, json, os, sys
        ap = argparse.ArgumentParser()
        ap.add_argument("--x", type=int, default=1)
        args = ap.parse_args()
        with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "argv.json"), "w") as f:
            json.dump(sys.argv[1:], f)
        print("x is", args.x)

        """

    /// Writes its argv (after the script) as JSON into $BACKTEST_OUTPUT_DIR/argv.json; accepts anything.
    static let echoScript = """
        import json, os, sys
        with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "argv.json"), "w") as f:
            json.dump(sys.argv[1:], f)

        """

    // MARK: - Point 2: argparse and --output_dir

    func testArgparseScriptRefusingOutputDirIsExplainedAndOutputDirArgNullRunsIt() throws {
        try ws.write("strict.py", Self.argparseScript)
        let s = try ws.server()
        let refused = try s.startRun("strict.py", params: ["x": 3], extra: ["profile": "none"])
        let end = try waitForEnd(s, refused)
        XCTAssertEqual(end["params"]["status"], "failed")
        XCTAssertEqual(end["params"]["exit_code"], 2)
        let message = try XCTUnwrap(ws.record(refused)?["error_message"].stringValue)
        XCTAssertTrue(message.hasPrefix("exited with code 2: "), message)
        XCTAssertTrue(message.contains("error: unrecognized arguments: --output_dir "), message)
        XCTAssertTrue(message.hasSuffix("; the script does not accept --output_dir: set \"output_dir_arg\": null in "
            + "backtest-rpc.json, or pass output_dir_arg: null to run; the directory is also in $BACKTEST_OUTPUT_DIR"), message)

        // The same script with output_dir_arg: null for this run: nothing appended, it runs.
        let fine = try s.startRun("strict.py", params: ["x": 3], extra: ["profile": "none", "output_dir_arg": .null])
        XCTAssertEqual(try waitForEnd(s, fine)["params"]["status"], "completed", "\(ws.record(fine) ?? .null)")
        XCTAssertEqual(ws.read(fine, "results/argv.json"), #"["--x", "3"]"#)
        // A rerun passes what the original passed: nothing.
        let again = try XCTUnwrap(try s.result("rerun", ["run_id": .string(fine)])["run_id"].stringValue)
        XCTAssertEqual(try waitForEnd(s, again)["params"]["status"], "completed", "\(ws.record(again) ?? .null)")
        XCTAssertEqual(ws.read(again, "results/argv.json"), #"["--x", "3"]"#)

    }

    func testOutputDirArgOverrideAndAFailureThatIsNotAboutIt() throws {
        try ws.write("echo.py", Self.echoScript)
        try ws.write("strict.py", Self.argparseScript)
        let s = try ws.server()
        let renamed = try s.startRun("echo.py", extra: ["output_dir_arg": "--out", "profile": "none"])
        XCTAssertEqual(try waitForEnd(s, renamed)["params"]["status"], "completed")
        XCTAssertEqual(ws.read(renamed, "results/argv.json"), #"["--out", "\#(ws.runDir(renamed))/results"]"#)
        let empty = try s.startRun("echo.py", extra: ["output_dir_arg": "", "profile": "none"])
        XCTAssertEqual(try waitForEnd(s, empty)["params"]["status"], "completed")
        XCTAssertEqual(ws.read(empty, "results/argv.json"), "[]")
        // An argparse refusal of something else says nothing about output_dir_arg.
        let other = try s.startRun("strict.py", params: ["y": 1], extra: ["output_dir_arg": .null, "profile": "none"])
        XCTAssertEqual(try waitForEnd(s, other)["params"]["exit_code"], 2)
        let message = try XCTUnwrap(ws.record(other)?["error_message"].stringValue)
        XCTAssertTrue(message.contains("unrecognized arguments: --y 1"), message)
        XCTAssertFalse(message.contains("output_dir_arg"), message)
        // A wrong type is refused.
        let bad = try s.request("run", ["script": "echo.py", "output_dir_arg": 5])
        XCTAssertEqual(bad["error"]["code"], -32602)
        XCTAssertEqual(bad["error"]["data"]["field"], "output_dir_arg")
    }

    // MARK: - Point 3: running without checks

    func testProfileNoneCompletesOnExitZeroWithValidationSkipped() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/log_flood.py", params: ["lines": 10], extra: ["profile": "none"])
        let end = try waitForEnd(s, id)
        XCTAssertEqual(end["params"]["status"], "completed", "\(ws.record(id) ?? .null)")
        let v = try s.result("status", ["run_id": .string(id)])["validation"]
        XCTAssertEqual(v["skipped"], true, JSONWriter.string(v))
        XCTAssertEqual(v["valid"], true)
        XCTAssertEqual(v["profile"], "none")
        XCTAssertEqual(v["issues"], [])
        XCTAssertEqual(ws.record(id)?["profile"], "none")
        // validate with it answers the same.
        XCTAssertEqual(try s.result("validate", ["run_id": .string(id), "profile": "none"])["skipped"], true)
        // A non-zero exit still fails.
        let crash = try s.startRun("fixtures/scripts/crash.py", extra: ["profile": "none"])
        XCTAssertEqual(try waitForEnd(s, crash)["params"]["failure"], "exit_code")
    }

    func testConfigChoosesTheDefaultProfileAndAnEmptyProfileIsAllowed() throws {
        try ws.write("backtest-rpc.json", #"{"validation": {"default_profile": "logs"}, "profiles": {"logs": {}}}"#)
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/log_flood.py", params: ["lines": 10])
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed", "\(ws.record(id) ?? .null)")
        let v = ws.record(id)?["validation"]
        XCTAssertEqual(v?["profile"], "logs")
        XCTAssertEqual(v?["valid"], true)
        XCTAssertEqual(v?["skipped"], .null)
        XCTAssertEqual(v?["file_checks"].objectValue?.keys, ["execution.log"])
        // `backtest` is still there by name, and says how to run without checks.
        let b = try s.result("validate", ["run_id": .string(id), "profile": "backtest"])
        XCTAssertEqual(b["errors"].arrayValue?.first,
                       "trades.csv: missing: the script wrote no trades.csv (to run without checks: profile: \"none\")")
    }

    // MARK: - Point 8: one capital for validation and the report

    /// metadata.json says `cash: 10000`; the deepest loss in money (-8,000 from 30,000, on 01-04) and the
    /// deepest in percent (-35%, 10,000 → 6,500 on 01-02) are different episodes.
    static let capitalScript = """
        import json, os
        out = os.environ["BACKTEST_OUTPUT_DIR"]
        with open(os.path.join(out, "metadata.json"), "w") as f:
            json.dump({"parameters": {"cash": 10000}, "execution_timestamp": "2024-01-08T00:00:00"}, f)
        with open(os.path.join(out, "pnl.csv"), "w") as f:
            f.write("date,pnl,cumulative_pnl\\n2024-01-01,0.00,0.00\\n2024-01-02,-3500.00,-3500.00\\n"
                    "2024-01-03,23500.00,20000.00\\n2024-01-04,-8000.00,12000.00\\n2024-01-05,0.00,12000.00\\n")
        print("done")

        """

    func testReportUsesTheValidatorsCapitalAndNamesEachEpisode() throws {
        try ws.write("capital.py", Self.capitalScript)
        let s = try ws.server()
        let id = try s.startRun("capital.py")
        _ = try waitForEnd(s, id)
        let v = try XCTUnwrap(ws.record(id)?["validation"])
        XCTAssertEqual(v["capital"], 10000.0)
        XCTAssertEqual(v["capital_source"], "metadata.json")
        let dd = try XCTUnwrap(v["warnings"].arrayValue?.compactMap(\.stringValue).first { $0.contains("equity falls") })
        XCTAssertTrue(dd.contains("equity falls 35.00% from its peak 10000.00"), dd)
        let path = try XCTUnwrap(s.result("report", ["run_id": .string(id)])["path"].stringValue)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(html.contains("capital 10,000.00 (metadata.json parameters.cash)"), html)
        XCTAssertTrue(html.contains("deepest in money: -8,000.00 on 2024-01-04 (-26.67% of its peak); "
                                    + "deepest in percent: -35.00% on 2024-01-02 (-3,500.00)"), html)

        // A `capital` param wins, for both.
        let p = try s.startRun("capital.py", params: ["capital": 20000])
        _ = try waitForEnd(s, p)
        XCTAssertEqual(ws.record(p)?["validation"]["capital_source"], "params")
        let html2 = try String(contentsOfFile: try XCTUnwrap(s.result("report", ["run_id": .string(p)])["path"].stringValue),
                               encoding: .utf8)
        XCTAssertTrue(html2.contains("capital 20,000.00 (param capital)"), html2)
    }

    // MARK: - Point 12: params as written

    func testParamsReachTheScriptAsTheClientWroteThem() throws {
        try ws.write("echo.py", Self.echoScript)
        let s = try ws.server()
        try s.sendRaw(#"{"jsonrpc":"2.0","id":"as-written","method":"run","params":{"script":"echo.py","profile":"none","#
                      + #""output_dir_arg":null,"params":{"x":1e6,"y":1.50,"z":10,"w":[2.50,-0],"o":{"a":1.0}}}}"# + "\n")
        let answer = try s.waitForResponse(id: "as-written")
        let id = try XCTUnwrap(answer["result"]["run_id"].stringValue, "\(answer)")
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed")
        XCTAssertEqual(ws.read(id, "results/argv.json"),
                       #"["--x", "1e6", "--y", "1.50", "--z", "10", "--w", "2.50", "-0", "--o", "{\"a\":1.0}"]"#)
        // run.json keeps them as written too (and survives the supervisor's rewrites of the record).
        let runJSON = try XCTUnwrap(ws.read(id, "run.json"))
        XCTAssertTrue(runJSON.contains(#""x": 1e6"#), runJSON)
        XCTAssertTrue(runJSON.contains(#""y": 1.50"#), runJSON)
        XCTAssertTrue(runJSON.contains(#""z": 10"#), runJSON)
        // And `status` answers them as written.
        let input = #"{"jsonrpc":"2.0","id":1,"method":"status","params":{"run_id":"\#(id)"}}"# + "\n"
            + #"{"jsonrpc":"2.0","id":2,"method":"compare","params":{"run_ids":["\#(id)"],"format":"csv"}}"# + "\n"
        let raw = try RawSession.run(Array(input.utf8), arguments: ["--workspace", ws.root])
        XCTAssertTrue(raw.text.contains(#""params":{"x":1e6,"y":1.50,"z":10,"w":[2.50,-0],"o":{"a":1.0}}"#), raw.text)
        // compare: the JSON row and the CSV cell both as written.
        XCTAssertTrue(raw.text.contains(#""param.x":1e6"#), raw.text)
        XCTAssertTrue(raw.text.contains(#",1e6,1.50,10,"#), raw.text)
    }

    // MARK: - Helpers

}
