import Foundation
import Glibc
import JSON
import XCTest

/// Provenance through the built binary: the metadata document a run leaves (interpreter, argv, params,
/// redacted environment, git, captured code, inputs, and at the end the exit and the result hashes), code
/// capture of a multi-file strategy (import analysis and strategy.yaml), `compare`, `report` and `rerun`
/// with its reproduction check.
final class ProvenanceEndToEndTests: XCTestCase {
    var ws: RunWorkspace!

    /// A profile that every script here passes (it asks for a file that may be absent), so that runs end
    /// `completed`; the runs that need the backtest profile ask for it.
    static let looseConfig = #"""
        {"validation": {"default_profile": "loose"},
         "profiles": {"loose": {"check_log": false, "files": {"never.txt": {"required": false}}}}}
        """#

    override func setUpWithError() throws { ws = try RunWorkspace(config: try JSONParser.parse(Self.looseConfig)) }
    override func tearDown() { ws?.removeAfterSupervisors() }

    // MARK: - Metadata

    /// Records what it got in its environment, then waits for `$BACKTEST_RUN_DIR/go` so that the test can
    /// look at the metadata written at the start before the run ends.
    static let handshakeScript = """
        import json, os, sys, time
        out = os.environ["BACKTEST_OUTPUT_DIR"]
        with open(os.path.join(out, "env.json"), "w") as f:
            json.dump({"API_KEY": os.environ.get("API_KEY"), "PLAIN": os.environ.get("PLAIN")}, f)
        print("waiting for go", flush=True)
        go = os.path.join(os.environ["BACKTEST_RUN_DIR"], "go")
        deadline = time.time() + 20
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.01)
        print("go" if os.path.exists(go) else "no go")

        """

    func testMetadataDescribesTheRunAndRedactsSecrets() throws {
        try ws.write("envcheck.py", Self.handshakeScript)
        let s = try ws.server()
        let id = try s.startRun("envcheck.py", params: ["alpha": 1, "name": "x y"],
                                extra: ["env": ["API_KEY": "s3cret", "PLAIN": "visible", "db_password": "pw1",
                                                       "GITHUB_Token": "tk1", "AWS_SECRET": "sc1", "MONKEY": "banana"]])
        let results = ws.runDir(id) + "/results"

        // Written at the start: everything but the end members.
        var start: JSONValue = .null
        XCTAssertTrue(eventually { start = self.ws.metadata(id) ?? .null; return start["code"]["files"].arrayValue != nil },
                      "metadata/backtest_metadata.json is not written while the run is going")
        XCTAssertEqual(start["backtest_id"], .string(id))
        XCTAssertTrue(start["completed_at"].isNull, "the end members appear only at the end: \(start)")
        XCTAssertTrue(start["result_files"].isNull)
        XCTAssertTrue(FileManager.default.createFile(atPath: ws.runDir(id) + "/go", contents: Data()))

        let end = try waitForEnd(s, id)
        XCTAssertEqual(end["params"]["status"], "completed", "\(end)")
        XCTAssertTrue(s.logTexts(id).contains("go"), "the script did not see the go file: \(s.logTexts(id))")
        let meta = ws.waitForCompleteMetadata(id)
        let record = try XCTUnwrap(ws.record(id))

        let python = try runChecked(["python3", "-c", "import sys; print(sys.executable); print(sys.version.split()[0])"],
                            cwd: ws.root).split(separator: "\n").map(String.init)
        XCTAssertEqual(meta["backtest_id"], .string(id))
        XCTAssertNotNil(meta["timestamp"].stringValue?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression),
                        "timestamp is ISO 8601 with ms: \(meta["timestamp"])")
        XCTAssertEqual(meta["server_version"], try s.result("health")["version"])
        XCTAssertEqual(meta["interpreter"], ["path": .string(python[0]), "version": .string(python[1])])
        XCTAssertEqual(meta["entry_point"], "envcheck.py")
        XCTAssertEqual(meta["argv"], .array([.string(python[0]), .string(ws.root + "/envcheck.py"), "--alpha", "1",
                                             "--name", "x y", "--output_dir", .string(results)]))
        XCTAssertEqual(meta["params"], ["alpha": 1, "name": "x y"])
        let env = meta["env_added"]
        XCTAssertEqual(env["API_KEY"], "***")
        XCTAssertEqual(env["PLAIN"], "visible")
        for name in ["db_password", "GITHUB_Token", "AWS_SECRET", "MONKEY"] { XCTAssertEqual(env[name], "***", name) }
        XCTAssertEqual(env["BACKTEST_RUN_ID"], .string(id))
        XCTAssertEqual(env["BACKTEST_OUTPUT_DIR"], .string(results))
        XCTAssertEqual(meta["working_directory"], .string(ws.root))
        var host = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(gethostname(&host, 255), 0)
        XCTAssertEqual(meta["host"]["name"], .string(String(cString: host)))
        XCTAssertEqual(meta["host"]["cores"].intValue, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        XCTAssertTrue(meta["host"]["os"].stringValue?.hasPrefix("Linux ") == true, "\(meta["host"])")
        XCTAssertTrue(meta["git"].isNull, "the workspace is not a git repository")
        XCTAssertEqual(meta["code"]["mode"], "imports")
        XCTAssertEqual(meta["code"]["files"], [fileEntry(ws.root, "envcheck.py")])
        XCTAssertEqual(meta["inputs"], [])
        // The end.
        XCTAssertEqual(meta["exit_code"], 0)
        XCTAssertEqual(meta["status"], "completed")
        XCTAssertEqual(meta["duration_seconds"], record["duration_seconds"])
        XCTAssertEqual(meta["result_files"], [fileEntry(results, "env.json")])
        // Members in the documented order.
        let text = try XCTUnwrap(ws.read(id, "metadata/backtest_metadata.json"))
        let order = ["backtest_id", "timestamp", "server_version", "interpreter", "entry_point", "argv", "params",
                     "env_added", "working_directory", "host", "git", "code", "inputs", "completed_at", "exit_code",
                     "duration_seconds", "status", "result_files"]
        let positions = order.map { text.range(of: "\n  \"\($0)\":")?.lowerBound }
        XCTAssertFalse(positions.contains(nil), "missing members: \(zip(order, positions).filter { $0.1 == nil }.map(\.0))")
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), "members out of order")
        XCTAssertTrue(text.contains("\n  \"env_added\": {\n    "), "the document is pretty-printed")

        // The script got the real value; nothing the server wrote for people to read has it.
        let seen = try JSONParser.parse(ws.read(id, "results/env.json") ?? "")
        XCTAssertEqual(seen, ["API_KEY": "s3cret", "PLAIN": "visible"])
        for file in ["metadata/backtest_metadata.json", "run.json", "execution.log", "metadata/capture.log"] {
            let text = ws.read(id, file) ?? ""
            for secret in ["s3cret", "pw1", "tk1", "sc1"] { XCTAssertFalse(text.contains(secret), "\(file) holds \(secret)") }
        }
        XCTAssertEqual(try s.result("status", ["run_id": .string(id)])["warnings"], [])
    }

    func testDirtyGitCheckoutSavesItsDiffAndACleanOneDoesNot() throws {
        try writeMultiFileStrategy(in: "strat")
        try ws.write(".gitignore", "__pycache__/\n")
        let git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
        _ = try runChecked(git + ["init", "-q", "-b", "main"], cwd: ws.root)
        _ = try runChecked(git + ["add", "-A"], cwd: ws.root)
        _ = try runChecked(git + ["commit", "-q", "-m", "init"], cwd: ws.root)
        let commit = try runChecked(["git", "rev-parse", "HEAD"], cwd: ws.root).trimmingCharacters(in: .whitespacesAndNewlines)
        try ws.write("strat/utils/maths.py", "def double(x):\n    return 2 * x  # changed\n")
        try ws.write("notes.txt", "untracked\n")
        let expectedDiff = try runChecked(["git", "diff", "HEAD"], cwd: ws.root)
        XCTAssertTrue(expectedDiff.contains("# changed"))

        let s = try ws.server()
        let dirty = try s.startRun("strat/main.py")
        XCTAssertEqual(try waitForEnd(s, dirty)["params"]["status"], "completed")
        let meta = ws.waitForCompleteMetadata(dirty)
        let g = meta["git"]
        XCTAssertEqual(g["commit"], .string(commit))
        XCTAssertEqual(g["branch"], "main")
        XCTAssertEqual(g["dirty"], true)
        XCTAssertEqual(g["diff_file"], "code/git.diff")
        XCTAssertEqual(g["untracked"], ["notes.txt"], "the runs folder and ignored files are not untracked changes: \(g)")
        XCTAssertEqual(g["root"], .string(ws.root))
        XCTAssertEqual(ws.read(dirty, "code/git.diff"), expectedDiff)
        // The captured code is the working tree's, changes included.
        XCTAssertEqual(ws.read(dirty, "code/utils/maths.py"), "def double(x):\n    return 2 * x  # changed\n")

        // Everything committed: clean, and no diff saved. The run dirs are committed once their supervisor is
        // gone; the workspace's own state (index, interpreter cache) is left out: the server rewrites it at
        // any moment, and git would trip over a temporary file that vanished between its readdir and stat.
        if let pid = ws.record(dirty)?["supervisor_pid"].intValue { XCTAssertTrue(eventually { !processAlive(Int32(pid)) }) }
        _ = try runChecked(git + ["add", "-A", "--", ".", ":(exclude)backtests/.backtest-rpc"], cwd: ws.root)
        _ = try runChecked(git + ["commit", "-q", "-m", "more"], cwd: ws.root)
        let clean = try s.startRun("strat/main.py")
        XCTAssertEqual(try waitForEnd(s, clean)["params"]["status"], "completed")
        let cleanGit = ws.waitForCompleteMetadata(clean)["git"]
        XCTAssertEqual(cleanGit["dirty"], false, "a committed tree with the runs folder in it is clean: \(cleanGit)")
        XCTAssertTrue(cleanGit["diff_file"].isNull)
        XCTAssertFalse(ws.fileExists(clean, "code/git.diff"))
        XCTAssertNotEqual(cleanGit["commit"], .string(commit))
    }

    // MARK: - Code capture

    /// main.py imports a local package with a relative import inside it; stdlib imports, an import inside a
    /// function, imports in a string and a comment, and a file nobody imports are there to be left out.
    func writeMultiFileStrategy(in dir: String, answerFactor: Int = 2) throws {
        try ws.write(dir + "/main.py", """
            \"\"\"A multi-file strategy. import fake_in_docstring\"\"\"
            import json, os, sys
            from utils import helpers
            from utils.maths import double  # import fake_in_comment

            def main():
                import math
                text = "from nowhere import fake_in_string"
                with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "answer.txt"), "w") as f:
                    f.write(str(double(helpers.ANSWER)) + "\\n")
                if os.environ.get("API_KEY"):
                    with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "seen.txt"), "w") as f:
                        f.write(os.environ["API_KEY"] + " " + " ".join(sys.argv[1:-2]) + "\\n")
                print("answer written", math.floor(1.5))

            main()

            """)
        try ws.write(dir + "/utils/__init__.py", "")
        try ws.write(dir + "/utils/helpers.py", "from .maths import double\nANSWER = double(21) // 2\n")
        try ws.write(dir + "/utils/maths.py", "def double(x):\n    return \(answerFactor) * x\n")
        try ws.write(dir + "/unused.py", "import utils\n")
        try ws.write(dir + "/conf/p.json", #"{"k": 1}"# + "\n")
    }

    func testMultiFileStrategyCapturesExactlyItsLocalFiles() throws {
        try writeMultiFileStrategy(in: "strat")
        let s = try ws.server()
        let id = try s.startRun("strat/main.py")
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed")
        XCTAssertEqual(ws.read(id, "results/answer.txt"), "42\n")
        let meta = ws.waitForCompleteMetadata(id)
        let expected = ["main.py", "utils/__init__.py", "utils/helpers.py", "utils/maths.py"]
        XCTAssertEqual(meta["code"]["mode"], "imports")
        XCTAssertEqual(meta["code"]["entry"], "main.py")
        XCTAssertEqual(meta["code"]["files"], .array(expected.map { fileEntry(ws.root + "/strat", $0) }))
        XCTAssertEqual(codeFiles(id), expected)
        for f in expected { XCTAssertEqual(ws.read(id, "code/" + f), try String(contentsOfFile: ws.root + "/strat/" + f, encoding: .utf8), f) }
        XCTAssertTrue(ws.read(id, "metadata/capture.log")?.contains("import analysis") == true,
                      "the capture log says which mode: \(ws.read(id, "metadata/capture.log") ?? "none")")
        XCTAssertEqual(ws.record(id)?["warnings"], [])
    }

    func testStrategyYamlReplacesImportAnalysis() throws {
        try writeMultiFileStrategy(in: "strat")
        try ws.write("strat/strategy.yaml", """
            # what this strategy needs
            name: multi
            files:
              - main.py
              - utils/__init__.py   # the package
              - utils/helpers.py
              - "utils/maths.py"
              - conf/p.json
              - missing.py

            """)
        let s = try ws.server()
        let id = try s.startRun("strat/main.py")
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed", "a listed file that is missing does not fail the run")
        let meta = ws.waitForCompleteMetadata(id)
        let expected = ["conf/p.json", "main.py", "utils/__init__.py", "utils/helpers.py", "utils/maths.py"]
        XCTAssertEqual(meta["code"]["mode"], "manifest")
        XCTAssertEqual(Set(meta["code"]["files"].arrayValue ?? []), Set(expected.map { fileEntry(ws.root + "/strat", $0) }))
        XCTAssertEqual(codeFiles(id), expected)
        XCTAssertTrue(ws.read(id, "metadata/capture.log")?.contains("strategy.yaml") == true)
        // The warning lands in the record once the run has ended (afterEnd): wait for it on disk.
        XCTAssertTrue(eventually(within: 10) {
            self.ws.record(id)?["warnings"].arrayValue?.contains("strategy.yaml: listed file missing.py is missing") == true
        }, "warnings: \(ws.record(id)?["warnings"] ?? .null)")
    }

    func testInputsAreHashedIntoTheMetadata() throws {
        try ws.write("noop.py", "print('reading nothing')\n")
        try ws.write("data/prices.csv", "date,close\n2024-01-02,100\n")
        try ws.write("data/set/b.txt", "bbb\n")
        try ws.write("data/set/a/z.txt", "zzz\n")
        let s = try ws.server()
        let id = try s.startRun("noop.py", extra: ["inputs": ["data/prices.csv", "data/set"]])
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed")
        let meta = ws.waitForCompleteMetadata(id)
        XCTAssertEqual(meta["inputs"], [fileEntry(ws.root, "data/prices.csv"), fileEntry(ws.root, "data/set/a/z.txt"),
                                        fileEntry(ws.root, "data/set/b.txt")])

        // Other data, same code: the metadata tells the runs apart.
        try ws.write("data/prices.csv", "date,close\n2024-01-02,101\n")
        let other = try s.startRun("noop.py", extra: ["inputs": ["data/prices.csv"]])
        XCTAssertEqual(try waitForEnd(s, other)["params"]["status"], "completed")
        let meta2 = ws.waitForCompleteMetadata(other)
        XCTAssertEqual(meta2["inputs"], [fileEntry(ws.root, "data/prices.csv")])
        XCTAssertNotEqual(meta2["inputs"][0]["sha256"], meta["inputs"][0]["sha256"])
        XCTAssertEqual(meta2["code"], meta["code"])
    }

    // MARK: - Compare

    static let summaryScript = """
        import os, sys
        args = sys.argv[1:]
        variant = args[args.index("--variant") + 1]
        rows = {"a": [("total_pnl", "100.50"), ("win_rate", "55"), ("alpha", "1.5")],
                "b": [("total_pnl", "-20.00"), ("beta", "x,y"), ("win_rate", "40"), ("status", "ok")]}[variant]
        with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "summary.csv"), "w") as f:
            f.write("metric,value\\n")
            for k, v in rows:
                f.write(f'{k},"{v}"\\n' if "," in v else f"{k},{v}\\n")
        print("summary", variant)

        """

    func testCompareGivesTheUnionOfMetricsAndCSV() throws {
        try ws.write("summ.py", Self.summaryScript)
        let s = try ws.server()
        let a = try s.startRun("summ.py", params: ["variant": "a"], extra: ["tags": ["cmp"]])
        let b = try s.startRun("summ.py", params: ["variant": "b", "extra": "say \"hi\", ok"], extra: ["tags": ["cmp"]])
        for id in [a, b] { XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed") }

        let table = try s.result("compare", ["run_ids": [.string(a), .string(b)], "format": "csv"])
        // A script's own summary rows are `summary.<name>`: a row named like a column (status) cannot collide.
        XCTAssertEqual(table["columns"], ["run_id", "status", "script", "param.variant", "param.extra",
                                          "summary.total_pnl", "summary.win_rate", "summary.alpha", "summary.beta",
                                          "summary.status"])
        XCTAssertEqual(table["rows"], [
            ["run_id": .string(a), "status": "completed", "script": "summ.py", "param.variant": "a", "param.extra": nil,
             "summary.total_pnl": 100.5, "summary.win_rate": 55, "summary.alpha": 1.5, "summary.beta": nil, "summary.status": nil],
            ["run_id": .string(b), "status": "completed", "script": "summ.py", "param.variant": "b",
             "param.extra": "say \"hi\", ok", "summary.total_pnl": -20.0, "summary.win_rate": 40, "summary.alpha": nil,
             "summary.beta": "x,y", "summary.status": "ok"],
        ])
        XCTAssertEqual(table["csv"].stringValue,
                       "run_id,status,script,param.variant,param.extra,summary.total_pnl,summary.win_rate,summary.alpha,summary.beta,summary.status\r\n"
                       + "\(a),completed,summ.py,a,,100.50,55,1.5,,\r\n"
                       + "\(b),completed,summ.py,b,\"say \"\"hi\"\", ok\",-20.00,40,,\"x,y\",ok\r\n")

        // Without format: no CSV. By the filters of list: the same two runs.
        let json = try s.result("compare", ["run_ids": [.string(b), .string(a)]])
        XCTAssertTrue(json["csv"].isNull)
        XCTAssertEqual(json["rows"].arrayValue?.map { $0["run_id"] }, [.string(b), .string(a)], "run_ids keep their order")
        let byTag = try s.result("compare", ["tag": "cmp"])
        XCTAssertEqual(Set(byTag["rows"].arrayValue?.compactMap { $0["run_id"].stringValue } ?? []), [a, b])
        XCTAssertEqual(try s.request("compare", ["run_ids": ["20000101_000000_000"]])["error"]["code"], 2001)
    }

    // MARK: - Report

    static let outputsScript = """
        import os, subprocess, sys
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.check_call([sys.executable, os.path.join(here, "fixtures", "make_outputs.py"),
                               os.environ["BACKTEST_OUTPUT_DIR"], "--trades", "400", "--days", "60", "--quiet"])
        print("outputs written")

        """

    /// Checks with Python's html.parser that every element is closed in order, and counts the paths in each svg.
    static let htmlCheck = """
        import json, sys
        from html.parser import HTMLParser
        VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
        class P(HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.stack, self.errors, self.svgs, self.tags = [], [], [], set()
            def handle_starttag(self, tag, attrs):
                self.tags.add(tag)
                if tag == "svg": self.svgs.append(0)
                if tag == "path":
                    if self.stack.count("svg") and dict(attrs).get("d"): self.svgs[-1] += 1
                if tag not in VOID: self.stack.append(tag)
            def handle_startendtag(self, tag, attrs):
                self.tags.add(tag)
                if tag == "path" and "svg" in self.stack and dict(attrs).get("d"): self.svgs[-1] += 1
            def handle_endtag(self, tag):
                if tag in VOID: return
                if not self.stack or self.stack[-1] != tag:
                    self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'} at {self.getpos()}")
                    if tag in self.stack:
                        while self.stack.pop() != tag: pass
                else:
                    self.stack.pop()
        p = P()
        p.feed(open(sys.argv[1], encoding="utf-8").read())
        p.close()
        print(json.dumps({"errors": p.errors, "unclosed": p.stack, "svgs": p.svgs, "tags": sorted(p.tags)}))

        """

    func testReportIsWellFormedHTMLWithAnSVGPathPerChart() throws {
        try ws.write("outputs.py", Self.outputsScript)
        try ws.write("check_html.py", Self.htmlCheck)
        let s = try ws.server()
        let id = try s.startRun("outputs.py", params: ["capital": 1000000, "label": "<script>alert(1)</script>"],
                                extra: ["profile": "backtest", "note": "<i>a & b</i>"])
        XCTAssertEqual(try waitForEnd(s, id)["params"]["status"], "completed")
        _ = ws.waitForCompleteMetadata(id)
        let r = try s.result("report", ["run_id": .string(id)])
        let path = ws.runDir(id) + "/results/reports/report.html"
        XCTAssertEqual(r["run_id"], .string(id))
        XCTAssertEqual(r["path"], .string(path))
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let check = try JSONParser.parse(try runChecked(["python3", ws.root + "/check_html.py", path], cwd: ws.root))
        XCTAssertEqual(check["errors"], [], "tags closed out of order")
        XCTAssertEqual(check["unclosed"], [], "unclosed elements")
        XCTAssertEqual(check["svgs"], [1, 1], "two charts (equity, drawdown), one path each")
        let tags = Set(check["tags"].arrayValue?.compactMap(\.stringValue) ?? [])
        XCTAssertTrue(tags.isSuperset(of: ["html", "head", "body", "svg", "path"]), "\(tags)")
        XCTAssertTrue(tags.isDisjoint(with: ["script", "link", "img", "iframe"]), "self-contained: \(tags)")
        XCTAssertTrue(html.lowercased().hasPrefix("<!doctype html>"))
        XCTAssertFalse(html.contains("src="), "nothing loaded from elsewhere")
        // The figures and the provenance are in it.
        XCTAssertTrue(html.contains(id))
        XCTAssertFalse(html.contains("<script>alert(1)</script>"), "params are HTML-escaped")
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the param is shown, escaped")
        let summary = try XCTUnwrap(ws.read(id, "results/summary.csv"))
        let totalPnL = try XCTUnwrap(summary.split(separator: "\n").first { $0.hasPrefix("total_pnl,") }?.split(separator: ",").last)
        XCTAssertTrue(html.contains(String(totalPnL)), "total_pnl of the run (\(totalPnL))")
        XCTAssertTrue(html.contains(fileEntry(ws.runDir(id) + "/results", "pnl.csv")["sha256"].stringValue ?? "-"),
                      "the result hashes")
        // The report is listed with the results, but is not one of the run's result files.
        let listed = try s.result("results", ["run_id": .string(id)])["files"].arrayValue?.compactMap { $0["path"].stringValue }
        XCTAssertTrue(listed?.contains("reports/report.html") == true, "\(listed ?? [])")
        XCTAssertFalse(ws.metadata(id)?["result_files"].arrayValue?.contains { $0["path"] == "reports/report.html" } ?? true)

        // A run without pnl.csv has nothing to chart.
        try ws.write("noop.py", "print('nothing')\n")
        let bare = try s.startRun("noop.py")
        XCTAssertEqual(try waitForEnd(s, bare)["params"]["status"], "completed")
        let refused = try s.request("report", ["run_id": .string(bare)])
        XCTAssertEqual(refused["error"]["code"], 2012)
        XCTAssertEqual(refused["error"]["data"]["file"], "pnl.csv")
        XCTAssertEqual(refused["error"]["data"]["run_id"], .string(bare))
        XCTAssertFalse(ws.fileExists(bare, "results/reports/report.html"))
    }

    // MARK: - Rerun

    func testRerunOfADeterministicRunIsIdenticalInBothRecords() throws {
        try writeMultiFileStrategy(in: "strat")
        let s = try ws.server()
        try ws.write("data/in.csv", "a,b\n1,2\n")
        let original = try s.startRun("strat/main.py", params: ["seed": 3],
                                      extra: ["env": ["API_KEY": "s3cret"], "inputs": ["data/in.csv"], "args": ["--fast"]])
        XCTAssertEqual(try waitForEnd(s, original)["params"]["status"], "completed")
        _ = ws.waitForCompleteMetadata(original)
        // Today's tree changes: a rerun must use the captured code, or its answer would be 63.
        try ws.write("strat/utils/maths.py", "def double(x):\n    return 3 * x\n")

        let started = try s.result("rerun", ["run_id": .string(original)])
        XCTAssertEqual(started["status"], "queued")
        let rerun = try XCTUnwrap(started["run_id"].stringValue)
        XCTAssertNotEqual(rerun, original)
        XCTAssertEqual(try waitForEnd(s, rerun)["params"]["status"], "completed")
        XCTAssertEqual(ws.read(rerun, "results/answer.txt"), "42\n", "the rerun ran today's tree, not the captured code")
        XCTAssertEqual(ws.read(original, "results/seen.txt"), "s3cret --seed 3 --fast\n")
        XCTAssertEqual(ws.read(rerun, "results/seen.txt"), "s3cret --seed 3 --fast\n",
                       "the rerun gets the same params, args and (real, unredacted) environment")

        for id in [original, rerun] {
            XCTAssertTrue(eventually { !(self.ws.record(id)?["reproduction"].isNull ?? true) }, "no reproduction in \(id)'s record")
            let rep = ws.record(id)?["reproduction"] ?? .null
            XCTAssertEqual(rep["identical"], true, "\(id): \(rep)")
            XCTAssertEqual(rep["differing"], [])
            XCTAssertEqual(rep["only_in_original"], [])
            XCTAssertEqual(rep["only_in_rerun"], [])
            XCTAssertEqual(rep["original"], .string(original))
            XCTAssertEqual(rep["rerun"], .string(rerun))
        }
        let record = try s.result("status", ["run_id": .string(rerun)])
        XCTAssertEqual(record["params"], ["seed": 3])
        XCTAssertEqual(record["args"], ["--fast"])
        XCTAssertEqual(record["rerun_of"], .string(original))
        let meta = ws.waitForCompleteMetadata(rerun)
        XCTAssertEqual(meta["rerun_of"], .string(original))
        XCTAssertTrue(meta["git"].isNull)
        XCTAssertEqual(meta["code"]["files"], ws.metadata(original)?["code"]["files"])
        XCTAssertEqual(meta["inputs"], [fileEntry(ws.root, "data/in.csv")])
        XCTAssertEqual(meta["env_added"]["API_KEY"], "***")
    }

    func testRerunOfAClockScriptSaysWhichFileDiffers() throws {
        try ws.write("clock.py", """
            import os, time
            out = os.environ["BACKTEST_OUTPUT_DIR"]
            with open(os.path.join(out, "stable.txt"), "w") as f:
                f.write("same\\n")
            with open(os.path.join(out, "clock.txt"), "w") as f:
                f.write(repr(time.time_ns()) + "\\n")
            print("ok")

            """)
        let s = try ws.server()
        let original = try s.startRun("clock.py")
        XCTAssertEqual(try waitForEnd(s, original)["params"]["status"], "completed")
        _ = ws.waitForCompleteMetadata(original)
        let rerun = try XCTUnwrap(try s.result("rerun", ["run_id": .string(original)])["run_id"].stringValue)
        XCTAssertEqual(try waitForEnd(s, rerun)["params"]["status"], "completed")
        for id in [original, rerun] {
            XCTAssertTrue(eventually { !(self.ws.record(id)?["reproduction"].isNull ?? true) }, "no reproduction in \(id)'s record")
            let rep = ws.record(id)?["reproduction"] ?? .null
            XCTAssertEqual(rep["identical"], false, "\(id): \(rep)")
            XCTAssertEqual(rep["differing"], ["clock.txt"])
            XCTAssertEqual(rep["only_in_original"], [])
            XCTAssertEqual(rep["only_in_rerun"], [])
        }
    }

    func testRerunOfAnUnfinishedRunIsRefused() throws {
        let s = try ws.server()
        let id = try s.startRun("fixtures/scripts/hang.py")
        try s.waitForStatus(id, "running")
        let r = try s.request("rerun", ["run_id": .string(id)])
        XCTAssertEqual(r["error"]["code"], 2011)
        XCTAssertEqual(r["error"]["data"]["run_id"], .string(id))
        XCTAssertEqual(r["error"]["data"]["status"], "running")
        XCTAssertEqual(try s.result("list")["total"], 1, "nothing was queued")
        let notFound = try s.request("rerun", ["run_id": "20000101_000000_000"])
        XCTAssertEqual(notFound["error"]["code"], 2001)
        _ = try s.result("cancel", ["run_id": .string(id)])
        try s.waitForStatus(id, "cancelled", timeout: 20)
    }

    // MARK: - Helpers

    /// `{path, size, sha256}` of a file, computed here (sha256sum), as the metadata lists it.
    private func fileEntry(_ dir: String, _ relative: String) -> JSONValue {
        let path = dir + "/" + relative
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
        let sum = (try?runChecked(["sha256sum", path], cwd: dir))?.split(separator: " ").first.map(String.init) ?? "?"
        return ["path": .string(relative), "size": .int(Int64(size)), "sha256": .string(sum)]
    }

    /// The files under a run's code/, relative and sorted.
    private func codeFiles(_ id: String) -> [String] {
        let root = ws.runDir(id) + "/code"
        let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return all.filter { var d: ObjCBool = false; FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &d); return !d.boolValue }
            .sorted()
    }

}
