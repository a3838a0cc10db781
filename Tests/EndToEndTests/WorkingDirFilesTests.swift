import Foundation
import Glibc
import JSON
import XCTest

/// Files a script writes into its working directory (the scripts dir, shared by all runs), through the
/// built binary: copied into `<run_dir>/cwd_files/` and named in the record's warnings, kept apart when two
/// runs write the same path at once, or not shared at all with `working_dir: "run_dir"` (docs/runs.md).
final class WorkingDirFilesTests: XCTestCase {
    var ws: RunWorkspace!

    override func tearDown() { ws?.remove() }

    private func warnings(_ id: String) -> [String] {
        ws.record(id)?["warnings"].arrayValue?.compactMap(\.stringValue) ?? []
    }

    func testFilesWrittenToTheWorkingDirectoryAreCopiedIntoTheRunDir() throws {
        ws = try RunWorkspace(config: ["cwd_copy_max_mb": 1])
        try ws.write("plot.py", """
            import os
            with open("plot.html", "w") as f: f.write("<html>SmaCross</html>")
            os.makedirs("sub", exist_ok=True)
            with open("sub/out.csv", "w") as f: f.write("a,b\\n1,2\\n")
            os.makedirs("__pycache__", exist_ok=True)
            with open("__pycache__/junk.pyc", "w") as f: f.write("x")
            with open("big.bin", "wb") as f: f.write(b"0" * (2 * 1024 * 1024))
            """)
        try ws.write("quiet.py", "print('nothing written')\n")
        let s = try ws.server()
        let id = try s.startRun("plot.py", extra: ["profile": "none"])
        try s.waitForStatus(id, "completed")
        XCTAssertEqual(ws.read(id, "cwd_files/plot.html"), "<html>SmaCross</html>")
        XCTAssertEqual(ws.read(id, "cwd_files/sub/out.csv"), "a,b\n1,2\n")
        XCTAssertFalse(ws.fileExists(id, "cwd_files/__pycache__"), "__pycache__ is not collected")
        XCTAssertFalse(ws.fileExists(id, "cwd_files/big.bin"), "over the cap: listed, not copied")
        XCTAssertFalse(ws.fileExists(id, "cwd_files/backtests"), "the runs dir under the cwd is not collected")
        // The originals stay where the script put them.
        XCTAssertEqual(try String(contentsOfFile: ws.root + "/plot.html", encoding: .utf8), "<html>SmaCross</html>")
        let w = warnings(id).filter { $0.contains("working directory") }
        XCTAssertEqual(w.count, 1, "\(warnings(id))")
        let text = w.first ?? ""
        for part in ["plot.html", "sub/out.csv", ws.runDir(id) + "/cwd_files/", "big.bin (2 MiB)", "larger than 1 MiB"] {
            XCTAssertTrue(text.contains(part), "\(part) not in: \(text)")
        }
        for part in ["__pycache__", "run.json", "execution.log", "plot.py"] {
            XCTAssertFalse(text.contains(part), "\(part) in: \(text)")
        }

        // A later run that writes nothing there is not given the earlier run's files.
        let quiet = try s.startRun("quiet.py", extra: ["profile": "none"])
        try s.waitForStatus(quiet, "completed")
        XCTAssertFalse(warnings(quiet).contains { $0.contains("working directory") }, "\(warnings(quiet))")
        XCTAssertFalse(ws.fileExists(quiet, "cwd_files"))
    }

    func testParallelRunsWritingTheSamePathEachKeepTheirOwnCopy() throws {
        ws = try RunWorkspace(config: ["max_parallel": 2])
        let gate = try ServerProcess.makeTemporaryDirectory(prefix: "bt-cwd-gate")
        defer { try? FileManager.default.removeItem(atPath: gate) }
        // A writes its plot, waits for the test, then writes its final plot (as bt.plot() does at the end).
        try ws.write("a.py", """
            import os, sys, time
            release = sys.argv[sys.argv.index("--release") + 1]
            with open("plot.html", "w") as f: f.write("from A")
            deadline = time.time() + 30
            while not os.path.exists(release) and time.time() < deadline: time.sleep(0.02)
            with open("plot.html", "w") as f: f.write("from A")
            """)
        try ws.write("b.py", """
            with open("plot.html", "w") as f: f.write("from B")
            """)
        let s = try ws.server()
        let a = try s.startRun("a.py", params: ["release": .string(gate + "/release")], extra: ["profile": "none"])
        XCTAssertTrue(eventually { (try? String(contentsOfFile: ws.root + "/plot.html", encoding: .utf8)) == "from A" })
        let b = try s.startRun("b.py", extra: ["profile": "none"])
        try s.waitForStatus(b, "completed")
        XCTAssertEqual(try String(contentsOfFile: ws.root + "/plot.html", encoding: .utf8), "from B")
        FileManager.default.createFile(atPath: gate + "/release", contents: Data())
        try s.waitForStatus(a, "completed")

        XCTAssertEqual(ws.read(b, "cwd_files/plot.html"), "from B")
        XCTAssertEqual(ws.read(a, "cwd_files/plot.html"), "from A")
        // In the scripts dir, the last writer wins.
        XCTAssertEqual(try String(contentsOfFile: ws.root + "/plot.html", encoding: .utf8), "from A")
        // Each run says the other ran in the same directory at the same time.
        XCTAssertTrue(warnings(a).contains { $0.contains("run \(b) was running in the same working directory") }, "\(warnings(a))")
        XCTAssertTrue(warnings(b).contains { $0.contains("run \(a) was running in the same working directory") }, "\(warnings(b))")
        for id in [a, b] {
            XCTAssertTrue(warnings(id).contains { $0.contains("plot.html") && $0.contains("cwd_files") }, "\(warnings(id))")
        }
    }

    func testRunDirAsTheWorkingDirectory() throws {
        ws = try RunWorkspace(config: ["working_dir": "run_dir"])
        try ws.write("plot.py", """
            import os
            with open("plot.html", "w") as f: f.write("<html>here</html>")
            with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "cwd.txt"), "w") as f: f.write(os.getcwd())
            """)
        let s = try ws.server()
        let id = try s.startRun("plot.py", extra: ["profile": "none"])
        try s.waitForStatus(id, "completed")
        XCTAssertEqual(ws.read(id, "results/cwd.txt"), ws.runDir(id))
        XCTAssertEqual(ws.read(id, "plot.html"), "<html>here</html>")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ws.root + "/plot.html"), "nothing in the scripts dir")
        XCTAssertFalse(ws.fileExists(id, "cwd_files"))
        XCTAssertFalse(warnings(id).contains { $0.contains("working directory") }, "\(warnings(id))")
    }

    func testWorkingDirValueIsChecked() throws {
        ws = try RunWorkspace(config: ["working_dir": "somewhere"])
        try ws.write("plot.py", "print(1)\n")
        let s = try ws.server()
        let r = try s.request("run", ["script": "plot.py"])
        XCTAssertEqual(r["error"]["code"], 2005, "\(r)")
        XCTAssertEqual(r["error"]["data"]["key"], "working_dir", "\(r)")
    }
}
