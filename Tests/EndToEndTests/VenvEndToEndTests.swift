import Foundation
import Glibc
import JSON
import TestSupport
import XCTest

/// A quant's existing virtual environment, through the built binary, with a real venv made by each test
/// (`python3 -m venv`, symlinked): the venv's own interpreter runs (not the base one its symlink points to),
/// its packages are recorded and compared, a rerun keeps the original's interpreter, and the published
/// metadata keys are written. Also the per-file reproduction verdict and its ignore rules.
final class VenvEndToEndTests: XCTestCase {
    var ws: RunWorkspace!
    var tmp: String!

    static let loose: JSONObject = [
        "validation": ["default_profile": "loose"],
        "profiles": ["loose": ["check_log": false, "files": ["never.txt": ["required": false]]]],
    ]

    /// Writes what ran (sys.executable, sys.prefix) and a pnl.csv for the report.
    static let whoAmI = """
        import json, os, sys
        out = os.environ["BACKTEST_OUTPUT_DIR"]
        with open(os.path.join(out, "who.json"), "w") as f:
            json.dump({"executable": sys.executable, "prefix": sys.prefix, "version": sys.version.split()[0]}, f)
        with open(os.path.join(out, "pnl.csv"), "w") as f:
            f.write("date,cumulative_pnl\\n2024-01-02,1.0\\n2024-01-03,2.5\\n")
        print("ok")

        """

    override func setUpWithError() throws {
        tmp = URL(fileURLWithPath: try ServerProcess.makeTemporaryDirectory(prefix: "bt-venv")).standardizedFileURL.path
    }

    override func tearDown() {
        ws?.removeAfterSupervisors()
        if let tmp { try? FileManager.default.removeItem(atPath: tmp) }
    }

    // MARK: - 1. The venv's interpreter runs

    func testConfiguredVenvInterpreterRunsTheVenvNotItsBase() throws {
        let venv = try makeVenv("venv")
        XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: venv + "/bin/python"),
                        "the venv's bin/python is expected to be a symlink")
        var config = Self.loose
        config["interpreters"] = [".py": .string(venv + "/bin/python")]
        ws = try RunWorkspace(config: .object(config))
        try ws.write("data/prices.csv", "date,close\n2024-01-02,1\n")
        try ws.write("who.py", Self.whoAmI)
        let s = try ws.server()
        let id = try s.startRun("who.py", extra: ["inputs": ["data/prices.csv"]])
        XCTAssertEqual(try waitForEnd(s, id, timeout: 60)["params"]["status"], "completed")
        let who = try JSONParser.parse(try XCTUnwrap(ws.read(id, "results/who.json")))
        XCTAssertEqual(who["prefix"], .string(venv), "the base interpreter ran, not the venv: \(who)")
        XCTAssertEqual(who["executable"], .string(venv + "/bin/python"))

        // Point 5 and 6: what ran, its packages, and the published keys.
        let meta = ws.waitForCompleteMetadata(id, within: 15)
        XCTAssertEqual(meta["interpreter"]["path"], .string(venv + "/bin/python"))
        XCTAssertEqual(meta["python_version"], who["version"])
        XCTAssertEqual(meta["packages"]["pip"], .string(try pipVersion(venv)), "packages: \(meta["packages"])")
        XCTAssertEqual(meta["framework_version"], try s.result("health")["version"])
        XCTAssertEqual(meta["backtest_id"], .string(id))
        XCTAssertNotNil(meta["timestamp"].stringValue)
        XCTAssertEqual(meta["strategy_entry_point"], .string(ws.root + "/who.py"))
        XCTAssertEqual(meta["captured_files"], ["who.py"])
        let sha = try XCTUnwrap(meta["inputs"][0]["sha256"].stringValue)
        XCTAssertEqual(meta["data_bundle_info"], ["bundle_name": "data/prices.csv", "dataset_ids": .array([.string("data/prices.csv@sha256:" + sha)])])
        let text = try XCTUnwrap(ws.read(id, "metadata/backtest_metadata.json"))
        XCTAssertTrue(text.hasPrefix("{\n  \"backtest_id\": "), "pretty-printed, indent 2")
    }

    func testActivatedVenvOnPathRunsItsPython3() throws {
        let venv = try makeVenv("venv", withPip: false)
        ws = try RunWorkspace(config: .object(Self.loose))
        try ws.write("who.py", Self.whoAmI)
        let path = venv + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let s = try ServerProcess(arguments: ["--workspace", ws.root], environment: ["PATH": path, "VIRTUAL_ENV": venv],
                                  workingDirectory: ws.root)
        let id = try s.startRun("who.py")
        XCTAssertEqual(try waitForEnd(s, id, timeout: 60)["params"]["status"], "completed")
        let who = try JSONParser.parse(try XCTUnwrap(ws.read(id, "results/who.json")))
        XCTAssertEqual(who["prefix"], .string(venv), "\(who)")
        XCTAssertEqual(who["executable"], .string(venv + "/bin/python3"))
        let meta = ws.waitForCompleteMetadata(id, within: 15)
        XCTAssertEqual(meta["interpreter"]["path"], .string(venv + "/bin/python3"))
        XCTAssertEqual(meta["data_bundle_info"], .null, "no inputs: null")
    }

    func testMistypedInterpreterNamesTheCommandTried() throws {
        var config = Self.loose
        config["interpreters"] = [".py": .string(tmp + "/venv/bin/pyhton"), ".R": "Rscript-typo"]
        ws = try RunWorkspace(config: .object(config))
        try ws.write("who.py", Self.whoAmI)
        try ws.write("x.R", "print(1)\n")
        let s = try ws.server()
        let r = try s.request("run", ["script": "who.py"])
        XCTAssertEqual(r["error"]["code"], 2004, "\(r)")
        XCTAssertEqual(r["error"]["data"]["interpreter"], .string(tmp + "/venv/bin/pyhton"))
        XCTAssertTrue(r["error"]["message"].stringValue?.contains(tmp + "/venv/bin/pyhton") == true, "\(r)")
        let bare = try s.request("run", ["script": "x.R"])
        XCTAssertEqual(bare["error"]["code"], 2004)
        XCTAssertEqual(bare["error"]["data"]["interpreter"], "Rscript-typo")
        XCTAssertTrue(bare["error"]["data"]["searched"].stringValue?.hasPrefix("PATH=") == true, "\(bare)")
        XCTAssertTrue(bare["error"]["message"].stringValue?.contains("Rscript-typo") == true)
    }

    // MARK: - 5. Packages: cached until site-packages change, in compare and the report

    func testPackagesFollowTheVenvAndShowInCompareAndReport() throws {
        let venv = try makeVenv("venv")
        let pip = try pipVersion(venv)
        var config = Self.loose
        config["interpreters"] = [".py": .string(venv + "/bin/python")]
        ws = try RunWorkspace(config: .object(config))
        try ws.write("who.py", Self.whoAmI)
        let s = try ws.server()
        let first = try s.startRun("who.py")
        XCTAssertEqual(try waitForEnd(s, first, timeout: 60)["params"]["status"], "completed")
        XCTAssertEqual(ws.waitForCompleteMetadata(first, within: 15)["packages"]["pip"], .string(pip))

        // A real package change in the venv: pip removes itself. The next run must see it.
        _ = try runChecked([venv + "/bin/python", "-m", "pip", "uninstall", "-y", "-q", "pip"], cwd: tmp)
        let second = try s.startRun("who.py")
        XCTAssertEqual(try waitForEnd(s, second, timeout: 60)["params"]["status"], "completed")
        let meta2 = ws.waitForCompleteMetadata(second, within: 15)
        XCTAssertEqual(meta2["packages"]["pip"], .null, "the cached packages outlived a change: \(meta2["packages"])")
        XCTAssertNotNil(meta2["packages"].objectValue)

        let table = try s.result("compare", ["run_ids": [.string(first), .string(second)]])
        let columns = table["columns"].arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertTrue(columns.contains("package.pip"), "\(columns)")
        XCTAssertFalse(columns.contains { $0.hasPrefix("package.") && $0 != "package.pip" },
                       "only packages whose versions differ get a column: \(columns)")
        XCTAssertEqual(table["rows"][0]["package.pip"], .string(pip))
        XCTAssertEqual(table["rows"][1]["package.pip"], .null)

        _ = try s.result("report", ["run_id": .string(first)])
        let html = try XCTUnwrap(ws.read(first, "results/reports/report.html"))
        XCTAssertTrue(html.contains("<h3>Packages ("), "no packages section")
        XCTAssertTrue(html.contains("<td>pip</td><td>\(pip)</td>"), "pip \(pip) is not in the report")
    }

    // MARK: - 7. Rerun pins the interpreter

    func testRerunUsesTheOriginalInterpreterAndFailsClearlyWhenItIsGone() throws {
        let venv = try makeVenv("venv", withPip: false)
        ws = try RunWorkspace(config: .object(Self.loose))
        try ws.write("who.py", Self.whoAmI)
        let activated = venv + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let s1 = try ServerProcess(arguments: ["--workspace", ws.root], environment: ["PATH": activated], workingDirectory: ws.root)
        let original = try s1.startRun("who.py")
        XCTAssertEqual(try waitForEnd(s1, original, timeout: 60)["params"]["status"], "completed")
        _ = ws.waitForCompleteMetadata(original, within: 15)

        // Another client, whose PATH has no venv: the rerun still runs the original's interpreter.
        let s2 = try ws.server()
        let rerun = try XCTUnwrap(try s2.result("rerun", ["run_id": .string(original)])["run_id"].stringValue)
        XCTAssertEqual(try waitForEnd(s2, rerun, timeout: 60)["params"]["status"], "completed")
        let who = try JSONParser.parse(try XCTUnwrap(ws.read(rerun, "results/who.json")))
        XCTAssertEqual(who["prefix"], .string(venv), "the rerun ran another Python: \(who)")
        XCTAssertEqual(try s2.result("status", ["run_id": .string(rerun)])["pinned_interpreter"], .string(venv + "/bin/python3"))

        // The venv is gone: a clear error naming the interpreter, nothing queued.
        try FileManager.default.moveItem(atPath: venv, toPath: venv + ".gone")
        let runs = ws.runIDs().count
        let r = try s2.request("rerun", ["run_id": .string(original)])
        XCTAssertEqual(r["error"]["code"], 2004, "\(r)")
        XCTAssertEqual(r["error"]["data"]["interpreter"], .string(venv + "/bin/python3"))
        XCTAssertTrue(r["error"]["message"].stringValue?.contains(venv + "/bin/python3") == true, "\(r)")
        XCTAssertEqual(ws.runIDs().count, runs)
    }

    // MARK: - 7. Per-file reproduction verdict and its ignore rules

    func testReproductionVerdictPerFileIgnoresConfiguredFilesAndKeys() throws {
        var config = Self.loose
        config["reproduction"] = ["ignore_files": ["clock.txt"], "ignore_json_keys": ["metadata.json": ["execution_timestamp"]]]
        ws = try RunWorkspace(config: .object(config))
        try ws.write("clock.py", """
            import json, os, time
            out = os.environ["BACKTEST_OUTPUT_DIR"]
            open(os.path.join(out, "stable.txt"), "w").write("same\\n")
            open(os.path.join(out, "clock.txt"), "w").write(repr(time.time_ns()) + "\\n")
            with open(os.path.join(out, "metadata.json"), "w") as f:
                json.dump({"strategy": "x", "execution_timestamp": time.time_ns(), "run": {"execution_timestamp": time.time_ns()}}, f)
            with open(os.path.join(out, "other.json"), "w") as f:
                json.dump({"execution_timestamp": time.time_ns()}, f)

            """)
        let s = try ws.server()
        let original = try s.startRun("clock.py")
        XCTAssertEqual(try waitForEnd(s, original, timeout: 60)["params"]["status"], "completed")
        _ = ws.waitForCompleteMetadata(original, within: 15)
        let rerun = try XCTUnwrap(try s.result("rerun", ["run_id": .string(original)])["run_id"].stringValue)
        XCTAssertEqual(try waitForEnd(s, rerun, timeout: 60)["params"]["status"], "completed")
        XCTAssertTrue(eventually { !(self.ws.record(rerun)?["reproduction"].isNull ?? true) })
        let rep = ws.record(rerun)?["reproduction"] ?? .null
        // other.json is not covered by a rule: it alone makes the verdict false.
        XCTAssertEqual(rep["identical"], false, "\(rep)")
        XCTAssertEqual(rep["differing"], ["other.json"])
        XCTAssertEqual(rep["ignored"], ["clock.txt", "metadata.json"])
        let files = rep["files"].arrayValue ?? []
        let verdicts = Dictionary(uniqueKeysWithValues: files.map { ($0["path"].stringValue ?? "", $0["verdict"].stringValue ?? "") })
        XCTAssertEqual(verdicts, ["clock.txt": "ignored", "metadata.json": "equivalent", "other.json": "differing",
                                  "stable.txt": "identical"])
        let stable = try XCTUnwrap(files.first { $0["path"] == "stable.txt" })
        XCTAssertEqual(stable["original_sha256"], stable["rerun_sha256"])
        XCTAssertEqual(stable["original_sha256"].stringValue?.count, 64)
        let other = try XCTUnwrap(files.first { $0["path"] == "other.json" })
        XCTAssertNotEqual(other["original_sha256"], other["rerun_sha256"])

        // With other.json ignored too, the same results count as reproduced (the rules are read by the
        // rerun's supervisor when it ends).
        config["reproduction"] = ["ignore_files": ["clock.txt", "*.json"]]
        try ws.write("backtest-rpc.json", JSONWriter.string(.object(config)))
        let again = try XCTUnwrap(try s.result("rerun", ["run_id": .string(original)])["run_id"].stringValue)
        XCTAssertEqual(try waitForEnd(s, again, timeout: 60)["params"]["status"], "completed")
        XCTAssertTrue(eventually { self.ws.record(again)?["reproduction"]["rerun"] == .string(again) })
        XCTAssertEqual(ws.record(again)?["reproduction"]["identical"], true, "\(ws.record(again)?["reproduction"] ?? .null)")

        // Config keys are checked strictly (a server opens the workspace once: ask a new one).
        config["reproduction"] = ["ignore_file": ["clock.txt"]]
        try ws.write("backtest-rpc.json", JSONWriter.string(.object(config)))
        let bad = try ws.server().request("run", ["script": "clock.py"])
        XCTAssertEqual(bad["error"]["code"], 2005, "\(bad)")
        XCTAssertEqual(bad["error"]["data"]["key"], "reproduction.ignore_file")
    }

    // MARK: - Helpers

    /// A real venv under the test's temp dir (symlinked, as `python3 -m venv` makes it by default).
    private func makeVenv(_ name: String, withPip: Bool = true) throws -> String {
        guard TestPaths.which("python3") != nil else {
            throw Prerequisite.missing("python3", install: "apt-get install python3 (Debian), or your system's equivalent")
        }
        let dir = tmp + "/" + name
        do {
            _ = try runChecked(["python3", "-m", "venv"] + (withPip ? [] : ["--without-pip"]) + [dir], cwd: tmp)
        } catch {
            throw Prerequisite.missing("python3's venv module (\(error))", install: "apt-get install python3-venv (Debian)")
        }
        return dir
    }

    private func pipVersion(_ venv: String) throws -> String {
        try runChecked([venv + "/bin/python", "-c", "import importlib.metadata as m; print(m.version('pip'))"], cwd: tmp)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

}
