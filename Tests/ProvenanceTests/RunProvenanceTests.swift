import JSON
import TestSupport
import XCTest

@testable import Provenance

final class RunProvenanceTests: XCTestCase {
    /// A workspace that is a dirty git checkout holding the multifile strategy, a data file, and a run dir.
    private func workspace() -> (ws: String, script: String) {
        let ws = TestFiles.makeTempDir(self, "ws")
        TestFiles.sh("cp -R '\(TestPaths.fixtures)/scripts/multifile' '\(ws)/multifile'")
        TestFiles.write("d,v\n1,2\n", to: ws + "/data/prices.csv")
        TestFiles.sh("git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m init", in: ws)
        TestFiles.write("# local change\n", to: ws + "/multifile/utils/helpers.py")
        return (ws, ws + "/multifile/main.py")
    }

    private func request(_ ws: String, _ script: String, runID: String, rerun: RerunSource? = nil) -> RunProvenance.StartRequest {
        RunProvenance.StartRequest(
            backtestID: runID, serverVersion: "0.1.0", interpreter: "python3", script: script, entryPoint: "multifile/main.py",
            argv: ["python3", "-u", script, "--days", "30"], params: ["days": 30],
            envAdded: ["BACKTEST_RUN_ID": .init(runID), "DATA_TOKEN": "s3cr3t"], workingDirectory: ws,
            workspaceRoot: ws, runDir: ws + "/backtests/" + runID, inputs: ["data"], rerun: rerun)
    }

    func testStartAndFinish() throws {
        let (ws, script) = workspace()
        let cache = InterpreterCache(file: ws + "/backtests/.backtest-rpc/interpreters.json")
        let started = RunProvenance.start(request(ws, script, runID: "r1"), interpreters: cache)
        XCTAssertEqual(started.warnings, [])
        XCTAssertEqual(started.log.first, "code capture: strategy.yaml (5 files)")
        XCTAssertNil(started.rerunScript)
        let runDir = ws + "/backtests/r1"
        let doc = try XCTUnwrap(MetadataDocument.read(runDir: runDir))
        XCTAssertEqual(doc["code"]["mode"], "manifest")
        XCTAssertEqual(doc["code"]["files"].arrayValue?.count, 5)
        XCTAssertEqual(doc["git"]["dirty"], true)
        XCTAssertEqual(doc["git"]["branch"], "main")
        XCTAssertTrue(TestFiles.read(runDir + "/code/git.diff")?.contains("+# local change") ?? false)
        XCTAssertEqual(doc["inputs"].arrayValue?.first?["path"], "data/prices.csv")
        XCTAssertEqual(doc["env_added"]["DATA_TOKEN"], "***")
        XCTAssertNotNil(doc["interpreter"]["version"].stringValue)
        XCTAssertFalse(TestFiles.read(MetadataDocument.path(runDir: runDir))!.contains("s3cr3t"))

        TestFiles.write("a,b\n", to: runDir + "/results/trades.csv")
        TestFiles.write("<html></html>", to: runDir + "/results/reports/report.html")
        let finished = RunProvenance.finish(runDir: runDir, backtestID: "r1", exitCode: 0, durationSeconds: 2.5, status: "completed")
        XCTAssertEqual(finished.warnings, [])
        XCTAssertEqual(finished.resultFiles.map(\.path), ["trades.csv"])
        XCTAssertEqual(RunProvenance.recordedResults(runDir: runDir), finished.resultFiles)
        let end = try XCTUnwrap(MetadataDocument.read(runDir: runDir))
        XCTAssertEqual(end["status"], "completed")
        XCTAssertEqual(end["code"]["mode"], "manifest")  // the start part is kept

        // A rerun copies the captured code, not today's tree, and starts the entry from its own code/.
        TestFiles.write("print('changed since')\n", to: script)
        let source = try XCTUnwrap(RerunSource.load(runID: "r1", runDir: runDir))
        XCTAssertEqual(source.mode, .manifest)
        let rerun = RunProvenance.start(request(ws, script, runID: "r2", rerun: source), interpreters: cache)
        XCTAssertEqual(rerun.rerunScript, ws + "/backtests/r2/code/main.py")
        XCTAssertEqual(rerun.document.code?.files, started.document.code?.files)
        XCTAssertNil(rerun.document.git)
        let rerunDoc = try XCTUnwrap(MetadataDocument.read(runDir: ws + "/backtests/r2"))
        XCTAssertEqual(rerunDoc["rerun_of"], "r1")

        // The supervisor's order: copy before spawning, describe once running.
        let script3 = try RunProvenance.prepareRerun(source, runDir: ws + "/backtests/r3")
        XCTAssertEqual(script3, ws + "/backtests/r3/code/main.py")
        XCTAssertNotEqual(TestFiles.read(script3), TestFiles.read(script))
        let third = RunProvenance.start(request(ws, script, runID: "r3", rerun: source), interpreters: cache)
        XCTAssertEqual(third.log, ["code capture: rerun of captured code (5 files)"])
        XCTAssertEqual(third.document.code?.files, started.document.code?.files)
        XCTAssertThrowsError(try RunProvenance.prepareRerun(
            RerunSource(runID: "x", codeDir: ws + "/nowhere", mode: .imports, entry: "main.py"), runDir: ws + "/backtests/r4"))
    }

    func testFailuresAreWarningsNotErrors() {
        let ws = TestFiles.makeTempDir(self)
        TestFiles.write("print(1)\n", to: ws + "/s.py")
        var r = request(ws, ws + "/s.py", runID: "r")
        r.runDir = "/proc/not-writable/r"
        r.interpreter = "no-such-python-xyz"
        r.inputs = ["missing.csv"]
        let started = RunProvenance.start(r, interpreters: InterpreterCache(file: nil))
        XCTAssertTrue(started.warnings.contains("input missing.csv: not found"), "\(started.warnings)")
        XCTAssertTrue(started.warnings.contains { $0.hasPrefix("metadata: could not ask interpreter") })
        XCTAssertTrue(started.warnings.contains { $0.hasPrefix("metadata: mkdir") || $0.hasPrefix("code capture") })
        let finished = RunProvenance.finish(runDir: "/proc/not-writable/r", backtestID: "r", exitCode: 1, durationSeconds: 0, status: "failed")
        XCTAssertEqual(finished.warnings.count, 1)
    }
}
