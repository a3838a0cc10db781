import Foundation
import Glibc
import JSON
import TestSupport
import XCTest

/// What a repository's files and a run's outputs may not make the server do: write outside the workspace,
/// show secrets, read files a result links to. Through the built binary, as a client sees it.
final class ContainmentTests: XCTestCase {
    var ws: RunWorkspace!

    override func setUpWithError() throws { ws = try RunWorkspace() }
    override func tearDown() { ws?.remove() }

    // MARK: - runs_dir stays inside the workspace

    func testRepositoryConfigCannotPutTheRunsDirOutsideTheWorkspace() throws {
        let parent = (ws.root as NSString).deletingLastPathComponent
        let name = (ws.root as NSString).lastPathComponent
        try FileManager.default.createSymbolicLink(atPath: ws.root + "/elsewhere", withDestinationPath: "/etc")
        for bad in ["/", "/etc", "../\(name)-escape_runs", "backtests/../..", "elsewhere", "elsewhere/runs"] {
            try ws.write("backtest-rpc.json", JSONWriter.string(["runs_dir": .string(bad)]))
            let s = try ws.server()
            let r = try s.request("list")
            XCTAssertEqual(r["error"]["code"], 2005, "\(bad): \(r)")
            XCTAssertEqual(r["error"]["data"]["key"], "runs_dir", bad)
            XCTAssertTrue(r["error"]["message"].stringValue?.contains("--runs-dir") == true, "\(bad): says how: \(r)")
            // The server keeps serving, and created nothing outside the workspace.
            XCTAssertEqual(try s.result("health")["status"], "ok")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/.backtest-rpc"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/.backtest-rpc"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/\(name)-escape_runs"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/runs"))
    }

    func testOperatorChoosesARunsDirElsewhereByFlagOrUserConfig() throws {
        let scratch = try ServerProcess.makeTemporaryDirectory(prefix: "bt-scratch")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The repository's own (bad) runs_dir does not matter once the operator chose.
        try ws.write("backtest-rpc.json", #"{"runs_dir": "/etc"}"#)

        let flagged = try ws.server(["--runs-dir", scratch + "/by-flag"])
        let id = try flagged.startRun("fixtures/scripts/crash.py")
        try flagged.waitForStatus(id, "failed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/by-flag/\(id)/execution.log"))
        XCTAssertEqual(try flagged.result("status", ["run_id": .string(id)])["exit_code"], 3)

        let home = scratch + "/home"
        let realRoot = URL(fileURLWithPath: ws.root).resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: home + "/.config/backtest-rpc", withIntermediateDirectories: true)
        try JSONWriter.string(["workspaces": [realRoot: ["runs_dir": .string(scratch + "/by-user")]]])
            .write(toFile: home + "/.config/backtest-rpc/config.json", atomically: true, encoding: .utf8)
        let user = try ServerProcess(arguments: ["--workspace", ws.root], environment: ["HOME": home, "XDG_CONFIG_HOME": ""],
                                     workingDirectory: ws.root)
        let id2 = try user.startRun("fixtures/scripts/crash.py")
        try user.waitForStatus(id2, "failed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch + "/by-user/\(id2)/run.json"))
    }

    // MARK: - secrets

    func testSecretsAreMaskedEverywhereButTheScriptGetsThem() throws {
        try ws.write("backtest-rpc.json", #"""
            {"env": {"DB_PASS": "hunter2", "DATABASE_URL": "postgres://u:pw-in-url@h/db", "BROKER_ID": "b-77"},
             "secret_names": ["BROKER"],
             "validation": {"default_profile": "none"}}
            """#)
        try ws.write("echo_secrets.py", """
            import os, sys
            with open(os.path.join(os.environ["BACKTEST_OUTPUT_DIR"], "seen.txt"), "w") as f:
                f.write(" ".join(sys.argv[1:]) + "\\n" + os.environ["DB_PASS"] + " " + os.environ["DATABASE_URL"] + "\\n")
            """)
        let s = try ws.server()
        let id = try s.startRun("echo_secrets.py", params: ["password": "s3cr3t-param", "api_token": 12345, "fast": 10],
                                extra: ["args": ["--dsn", "mysql://root:pw-in-arg@db/x"]])
        try s.waitForStatus(id, "completed")

        // The script received every real value.
        let seen = try XCTUnwrap(ws.read(id, "results/seen.txt"))
        for real in ["s3cr3t-param", "12345", "pw-in-arg", "hunter2", "pw-in-url"] {
            XCTAssertTrue(seen.contains(real), "the script must get \(real): \(seen)")
        }
        // Nothing the server wrote or said, except the private spec, holds one.
        let said = s.frames.map { JSONWriter.string($0) }.joined(separator: "\n")
        let status = JSONWriter.string(try s.result("status", ["run_id": .string(id)]))
        let list = JSONWriter.string(try s.result("list", ["limit": 5]))
        let runJSON = try XCTUnwrap(ws.read(id, "run.json"))
        let metadata = try XCTUnwrap(ws.read(id, "metadata/backtest_metadata.json"))
        let index = ["index.sqlite", "index.sqlite-wal"].compactMap {
            FileManager.default.contents(atPath: ws.root + "/backtests/.backtest-rpc/" + $0)
        }.map { String(decoding: $0, as: UTF8.self) }.joined()
        for (name, text) in [("notifications", said), ("status", status), ("list", list), ("run.json", runJSON),
                             ("metadata", metadata), ("index", index)] {
            for secret in ["s3cr3t-param", "12345", "pw-in-arg", "hunter2", "pw-in-url", "b-77"] {
                XCTAssertFalse(text.contains(secret), "\(name) shows \(secret)")
            }
        }
        XCTAssertTrue(metadata.contains("postgres://u:***@h/db"), metadata)
        XCTAssertTrue(runJSON.contains("mysql://root:***@db/x"), runJSON)
        XCTAssertEqual(try s.result("status", ["run_id": .string(id)])["params"]["fast"], 10, "other params are shown")
        // The spec keeps them (mode 0600), for a queued start by another process and for rerun.
        var st = stat()
        XCTAssertEqual(stat(ws.runDir(id) + "/.spec.json", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    // MARK: - smaller

    func testResultFileLinksOutOfResultsAreNotHashed() throws {
        try ws.write("backtest-rpc.json", #"""
            {"validation": {"default_profile": "none"}}
            """#)
        try ws.write("linker.py", """
            import os
            out = os.environ["BACKTEST_OUTPUT_DIR"]
            open(os.path.join(out, "own.txt"), "w").write("mine\\n")
            os.symlink("/etc/passwd", os.path.join(out, "passwd"))
            os.symlink(os.path.join(os.environ["BACKTEST_RUN_DIR"], ".spec.json"), os.path.join(out, "spec"))
            os.symlink("own.txt", os.path.join(out, "alias.txt"))
            """)
        let s = try ws.server()
        let id = try s.startRun("linker.py")
        try s.waitForStatus(id, "completed")
        let meta = try JSONParser.parse(Array(try XCTUnwrap(ws.read(id, "metadata/backtest_metadata.json")).utf8))
        let paths = meta["result_files"].arrayValue?.compactMap { $0["path"].stringValue } ?? []
        XCTAssertEqual(paths, ["alias.txt", "own.txt"], "links out of results/ are not followed")
    }

    func testRunOfTheScriptsDirItselfIsScriptNotFound() throws {
        let s = try ws.server()
        for name in [".", "fixtures/..", "./"] {
            XCTAssertEqual(try s.request("run", ["script": .string(name)])["error"]["code"], 2002, name)
        }
        XCTAssertEqual(try s.request("run", ["script": "../x.py"])["error"]["code"], 2003)
    }
}
