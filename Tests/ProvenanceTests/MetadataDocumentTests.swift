import Base
import JSON
import TestSupport
import XCTest

@testable import Provenance

final class MetadataDocumentTests: XCTestCase {
    func testSecretsAreRedacted() {
        let env = ["API_KEY": "k", "github_token": "t", "DbPassword": "p", "MY_SECRET_THING": "s", "PATH_EXTRA": "/x",
                   "BACKTEST_RUN_ID": "r", "MONKEY": "m"]
        let out = SecretRedaction.redact(env)
        XCTAssertEqual(out["API_KEY"], "***")
        XCTAssertEqual(out["github_token"], "***")
        XCTAssertEqual(out["DbPassword"], "***")
        XCTAssertEqual(out["MY_SECRET_THING"], "***")
        XCTAssertEqual(out["MONKEY"], "***")  // broad on purpose
        XCTAssertEqual(out["PATH_EXTRA"], "/x")
        XCTAssertEqual(out["BACKTEST_RUN_ID"], "r")
        XCTAssertEqual(out.count, env.count)
    }

    private func document(runID: String = "20261121_101319_123") -> MetadataDocument {
        MetadataDocument(
            backtestID: runID, timestamp: "2026-11-21T10:13:19.123Z", serverVersion: "0.1.0",
            interpreter: InterpreterInfo(path: "/usr/bin/python3.11", version: "3.11.7"), entryPoint: "strategy.py",
            argv: ["/usr/bin/python3.11", "-u", "strategy.py", "--capital", "1000000"], params: ["capital": 1_000_000],
            envAdded: ["BACKTEST_RUN_ID": runID, "BROKER_API_KEY": "hunter2"], workingDirectory: "/ws",
            host: HostInfo(name: "h", os: "Linux", cores: 2), git: nil,
            code: CodeCaptureResult(mode: .single, entry: "strategy.py", files: [CapturedFile(path: "strategy.py", size: 3, sha256: "ab")],
                                    warnings: [], log: []),
            inputs: [InputFile(path: "data/a.csv", size: 10, sha256: "cd")])
    }

    func testStartThenEndWritesThePrettyDocumentAtomically() throws {
        let runDir = TestFiles.makeTempDir(self)
        try MetadataDocument.writeStart(document(), runDir: runDir)
        let path = MetadataDocument.path(runDir: runDir)
        let text = try XCTUnwrap(TestFiles.read(path))
        XCTAssertTrue(text.hasPrefix("{\n  \"backtest_id\": \"20261121_101319_123\",\n"), text)
        XCTAssertFalse(text.contains("hunter2"))
        let start = try JSONParser.parse(text)
        XCTAssertEqual(start["env_added"]["BROKER_API_KEY"], "***")
        XCTAssertEqual(start["env_added"]["BACKTEST_RUN_ID"], "20261121_101319_123")
        XCTAssertEqual(start["interpreter"]["version"], "3.11.7")
        XCTAssertEqual(start["host"]["cores"], 2)
        XCTAssertEqual(start["code"]["files"].arrayValue?.first?["sha256"], "ab")
        XCTAssertEqual(start["code"]["mode"], "single")
        XCTAssertEqual(start["inputs"].arrayValue?.count, 1)
        XCTAssertEqual(start["git"], .null)
        XCTAssertEqual(start["exit_code"], .null)
        XCTAssertEqual(start.objectValue?.keys, [
            "backtest_id", "timestamp", "server_version", "framework_version", "interpreter", "python_version", "packages",
            "entry_point", "strategy_entry_point", "argv", "params", "env_added", "working_directory", "host", "git", "code",
            "captured_files", "inputs", "data_bundle_info",
        ])
        XCTAssertEqual(start["captured_files"], ["strategy.py"])
        XCTAssertEqual(start["data_bundle_info"], ["bundle_name": "data/a.csv", "dataset_ids": ["data/a.csv@sha256:cd"]])

        let outcome = RunOutcome(exitCode: 0, durationSeconds: 1.23456, status: "completed",
                                 resultFiles: [CapturedFile(path: "trades.csv", size: 100, sha256: "ef")])
        try MetadataDocument.writeEnd(outcome, runDir: runDir, backtestID: "ignored")
        let end = try JSONParser.parse(try XCTUnwrap(TestFiles.read(path)))
        XCTAssertEqual(end["backtest_id"], "20261121_101319_123")
        XCTAssertEqual(end["exit_code"], 0)
        XCTAssertEqual(end["duration_seconds"], .double(1.235))
        XCTAssertEqual(end["status"], "completed")
        XCTAssertEqual(end["result_files"].arrayValue?.first?["path"], "trades.csv")
        XCTAssertEqual(end.objectValue?.keys.suffix(5), ["completed_at", "exit_code", "duration_seconds", "status", "result_files"])
        // Atomic writes leave no temp files behind.
        XCTAssertEqual(FileSystem.walkFiles(runDir), ["metadata/backtest_metadata.json"])
    }

    /// The end appended to the start's bytes (what a supervisor does) is the document rendered whole (what a
    /// process that reads the start back does).
    func testTheEndAppendedToTheStartsBytesIsTheWholeDocument() throws {
        let appended = TestFiles.makeTempDir(self), rendered = TestFiles.makeTempDir(self)
        let bytes = try MetadataDocument.writeStart(document(), runDir: appended)
        try MetadataDocument.writeStart(document(), runDir: rendered)
        let outcome = RunOutcome(exitCode: 0, durationSeconds: 1.5, status: "completed",
                                 resultFiles: [CapturedFile(path: "trades.csv", size: 100, sha256: "ef")],
                                 completedAt: "2026-11-21T10:13:20.623Z")
        try MetadataDocument.writeEnd(outcome, runDir: appended, backtestID: "x", startBytes: bytes)
        try MetadataDocument.writeEnd(outcome, runDir: rendered, backtestID: "x")
        let a = try XCTUnwrap(TestFiles.read(MetadataDocument.path(runDir: appended)))
        XCTAssertEqual(a, try XCTUnwrap(TestFiles.read(MetadataDocument.path(runDir: rendered))))
        XCTAssertEqual(try JSONParser.parse(a)["result_files"].arrayValue?.first?["path"], "trades.csv")
    }

    func testEndWithoutStartStillRecordsTheOutcome() throws {
        let runDir = TestFiles.makeTempDir(self)
        try MetadataDocument.writeEnd(RunOutcome(exitCode: nil, durationSeconds: 0, status: "failed", resultFiles: []),
                                      runDir: runDir, backtestID: "r1")
        let doc = try XCTUnwrap(MetadataDocument.read(runDir: runDir))
        XCTAssertEqual(doc["backtest_id"], "r1")
        XCTAssertEqual(doc["status"], "failed")
    }

    func testWriteFailureThrows() {
        XCTAssertThrowsError(try MetadataDocument.writeStart(document(), runDir: "/proc/definitely/not/writable"))
    }

    func testTimestampFormat() {
        // Checked against Python: datetime.fromtimestamp(1795256000.5, timezone.utc).
        XCTAssertEqual(ISOTime.format(epochSeconds: 1_795_256_000.5), "2026-11-21T10:13:20.500Z")
        let now = ISOTime.now()
        XCTAssertEqual(now.count, 24)
        XCTAssertTrue(now.hasSuffix("Z"))
    }

    func testHostInfo() {
        let host = HostInfo.current()
        XCTAssertFalse(host.name.isEmpty)
        XCTAssertTrue(host.os.hasPrefix("Linux"))
        XCTAssertGreaterThan(host.cores, 0)
    }
}
