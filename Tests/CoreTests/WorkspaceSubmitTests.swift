@testable import BacktestCore
import Base
import Foundation
import Glibc
import JSON
import Synchronization
import XCTest

/// `submit` without starting anything: argv, environment, script resolution and what lands on disk.
final class WorkspaceSubmitTests: XCTestCase {
    func testParamsBecomeArguments() throws {
        let params: JSONObject = [
            "capital": 1000000, "rate": 0.25, "whole": 5.0, "name": "iron condor", "dash": "-x", "verbose": true,
            "quiet": false, "skip": nil, "symbols": ["NIFTY", 5, true, nil, ["a": 1]], "empty": [], "nested": ["a": [1, 2], "b": "c"],
        ]
        XCTAssertEqual(try RunCommandLine.arguments(params: params), [
            "--capital", "1000000", "--rate", "0.25", "--whole", "5.0", "--name", "iron condor", "--dash", "-x", "--verbose",
            "--symbols", "NIFTY", "5", "true", "null", "{\"a\":1}", "--nested", "{\"a\":[1,2],\"b\":\"c\"}",
        ])
        XCTAssertEqual(RunCommandLine.argv(interpreter: ["/py", "-X", "dev"], script: "/s/a.py", paramArguments: ["--k", "v"],
                                           args: ["pos"], outputDirArg: "--output_dir", outputDir: "/r"),
                       ["/py", "-X", "dev", "/s/a.py", "--k", "v", "pos", "--output_dir", "/r"])
        XCTAssertEqual(RunCommandLine.argv(interpreter: [], script: "/s/a", paramArguments: [], args: [], outputDirArg: nil, outputDir: "/r"),
                       ["/s/a"])
        for bad: JSONObject in [["": 1], ["-v": true], ["a\u{0}b": 1], ["k": "a\u{0}"]] {
            guard case .invalidArgument(field: "params", _)? = WorkspaceTestSupport.coreError({ try RunCommandLine.arguments(params: bad) })
            else { return XCTFail("\(bad) accepted") }
        }
    }

    func testEnvironmentLayersAndReservedNames() {
        let env = RunCommandLine.environment(config: ["A": "config", "B": "config"],
                                             run: ["B": "run", "BACKTEST_RUN_ID": "mine", "PYTHONUNBUFFERED": "0"],
                                             runID: "id", runDir: "/d", outputDir: "/d/results")
        XCTAssertEqual(env, ["A": "config", "B": "run", "BACKTEST_RUN_ID": "id", "BACKTEST_RUN_DIR": "/d",
                             "BACKTEST_OUTPUT_DIR": "/d/results", "PYTHONUNBUFFERED": "1"])
        XCTAssertNotNil(WorkspaceTestSupport.coreError { try RunCommandLine.check(args: [], env: ["A=B": "x"]) })
        XCTAssertNotNil(WorkspaceTestSupport.coreError { try RunCommandLine.check(args: ["a\u{0}"], env: [:]) })
    }

    func testScriptResolutionErrors() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: ["scripts_dir": "scripts"])
        defer { WorkspaceTestSupport.remove(root) }
        let scripts = root + "/scripts"
        try WorkspaceTestSupport.writeScript(scripts, "ok.py", "print(1)\n")
        try WorkspaceTestSupport.writeScript(scripts, "sub/deep.py", "print(1)\n")
        try WorkspaceTestSupport.writeScript(scripts, "plain.txt", "hi\n")
        try WorkspaceTestSupport.writeScript(scripts, "tool", "#!/bin/sh\necho hi\n", executable: true)
        try WorkspaceTestSupport.writeScript(root, "outside.py", "print(1)\n")
        symlink(root + "/outside.py", scripts + "/link_out.py")
        symlink(scripts + "/ok.py", scripts + "/link_in.py")
        let ws = try Workspace(root: root, supervisorExecutable: "/nonexistent/backtest-rpc")

        func error(_ script: String) -> CoreError? { WorkspaceTestSupport.coreError { try ws.submit(RunRequest(script: script)) } }
        XCTAssertEqual(error("../outside.py"), .scriptOutsideWorkspace(script: "../outside.py", scriptsDir: scripts))
        XCTAssertEqual(error("sub/../../outside.py"), .scriptOutsideWorkspace(script: "sub/../../outside.py", scriptsDir: scripts))
        XCTAssertEqual(error(root + "/outside.py"), .scriptOutsideWorkspace(script: root + "/outside.py", scriptsDir: scripts))
        XCTAssertEqual(error("link_out.py"), .scriptOutsideWorkspace(script: "link_out.py", scriptsDir: scripts))
        XCTAssertEqual(error("missing.py"), .scriptNotFound(script: "missing.py", scriptsDir: scripts))
        XCTAssertEqual(error("sub"), .scriptNotFound(script: "sub", scriptsDir: scripts))
        XCTAssertEqual(error(""), .scriptNotFound(script: "", scriptsDir: scripts))
        XCTAssertEqual(error("plain.txt"), .scriptNotRunnable(script: "plain.txt", fileExtension: ".txt"))
        XCTAssertEqual(error(".."), .scriptOutsideWorkspace(script: "..", scriptsDir: scripts))
        guard case .invalidArgument(field: "timeout_s", _)? = WorkspaceTestSupport.coreError({
            try ws.submit(RunRequest(script: "ok.py", timeoutSeconds: -1)) }) else { return XCTFail() }
        // Refused requests leave nothing behind.
        XCTAssertEqual(try ws.list().total, 0)
        XCTAssertEqual(FileSystem.entries(ws.layout.runsDir)?.filter(RunStore.isValidRunID), [])

        // Accepted: inside (also through an inner symlink and an absolute path inside), executable without
        // interpreter.
        XCTAssertEqual(try ws.submit(RunRequest(script: "sub/deep.py")).script, "sub/deep.py")
        XCTAssertEqual(try ws.submit(RunRequest(script: "link_in.py")).script, "link_in.py")
        XCTAssertEqual(try ws.submit(RunRequest(script: scripts + "/ok.py")).script, "ok.py")
        let tool = try ws.submit(RunRequest(script: "./tool"))
        XCTAssertEqual(tool.script, "tool")
        XCTAssertEqual(try ws.store.loadSpec(paths: ws.layout.run(tool.runID)).argv.first, scripts + "/tool")
    }

    func testSubmitWritesSpecRecordAndQueueEntry() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: ["max_parallel": 1, "env": ["FROM_CONFIG": "c"], "default_timeout_s": 30,
                                                              "kill_grace_s": 2])
        defer { WorkspaceTestSupport.remove(root) }
        try WorkspaceTestSupport.writeScript(root, "strategy.py", "print(1)\n")
        // The only slot is held here, so the run stays queued.
        let ws = try Workspace(root: root, supervisorExecutable: "/nonexistent/backtest-rpc")
        let slot = FileLock.tryAcquire(ws.layout.slotLock(0))
        XCTAssertNotNil(slot)
        let r = try ws.submit(RunRequest(script: "strategy.py", params: ["capital": 5, "fast": true], args: ["x"],
                                         env: ["MINE": "1"], tags: ["nightly", "a"], note: "hello", profile: "backtest",
                                         inputs: ["data.csv"], extra: ["rerun_of": "abc"]))
        XCTAssertEqual(r.status, .queued)
        XCTAssertEqual(r.runDir, root + "/backtests/" + r.runID)
        XCTAssertEqual(r.outputDir, r.runDir + "/results")
        XCTAssertEqual(r.serverPID, Int(getpid()))
        XCTAssertEqual(r.timeoutSeconds, 30)
        let paths = ws.layout.run(r.runID)
        XCTAssertTrue(FileSystem.isDirectory(paths.results))
        XCTAssertTrue(FileSystem.exists(ws.layout.queueEntry(r.runID)))
        var st = stat()
        XCTAssertEqual(stat(paths.spec, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let onDisk = try ws.store.load(runID: r.runID)
        XCTAssertEqual(onDisk, r)
        XCTAssertEqual(onDisk.extra["rerun_of"], "abc")
        XCTAssertEqual(onDisk.tags, ["nightly", "a"])
        let spec = try ws.store.loadSpec(paths: paths)
        XCTAssertTrue(spec.executable.hasPrefix("/"))
        XCTAssertFalse(spec.executable.contains("/shims/"), "the pyenv shim was not resolved: \(spec.executable)")
        XCTAssertEqual(Array(spec.argv.dropFirst()), [root + "/strategy.py", "--capital", "5", "--fast", "x", "--output_dir", paths.results])
        XCTAssertEqual(spec.envAdded["FROM_CONFIG"], "c")
        XCTAssertEqual(spec.envAdded["MINE"], "1")
        XCTAssertEqual(spec.envAdded["BACKTEST_RUN_ID"], r.runID)
        XCTAssertEqual(spec.envAdded["PYTHONUNBUFFERED"], "1")
        XCTAssertEqual(spec.baseEnv["PATH"], String(cString: getenv("PATH")))
        XCTAssertEqual(spec.cwd, root)
        XCTAssertEqual(spec.timeoutSeconds, 30)
        XCTAssertEqual(spec.killGraceSeconds, 2)
        XCTAssertEqual(spec.profile, "backtest")
        XCTAssertEqual(spec.inputs, ["data.csv"])
        // It stays queued while the only slot is taken; list sees it.
        ws.schedulePass()
        XCTAssertEqual(try ws.record(runID: r.runID).status, .queued)
        XCTAssertEqual(try ws.list(status: [.queued]).total, 1)
        XCTAssertEqual(ws.counts().queued, 1)
        slot?.close()
    }

    /// The supervisor binary cannot start: the run fails with spawn_error instead of hanging in the queue.
    func testSpawnFailureIsRecorded() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        try WorkspaceTestSupport.writeScript(root, "s.py", "print(1)\n")
        let ws = try Workspace(root: root, supervisorExecutable: "/nonexistent/backtest-rpc")
        let r = try ws.submit(RunRequest(script: "s.py"))
        XCTAssertTrue(WorkspaceTestSupport.eventually { (try? ws.record(runID: r.runID))?.status == .failed })
        let f = try ws.record(runID: r.runID)
        XCTAssertEqual(f.failure, .spawnError)
        XCTAssertTrue(f.errorMessage?.contains("/nonexistent/backtest-rpc") == true)
        XCTAssertFalse(FileSystem.exists(ws.layout.queueEntry(r.runID)))
        XCTAssertEqual(try ws.list(status: [.failed]).runs.map(\.runID), [r.runID])
    }

    func testUnknownRunIsRunNotFound() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let ws = try Workspace(root: root, supervisorExecutable: "/bin/false")
        for id in ["20990101_000000_000", "../etc", ""] {
            XCTAssertEqual(WorkspaceTestSupport.coreError { try ws.record(runID: id) }, .runNotFound(runID: id))
            XCTAssertEqual(WorkspaceTestSupport.coreError { try ws.cancel(runID: id) }, .runNotFound(runID: id))
            XCTAssertEqual(WorkspaceTestSupport.coreError { try ws.logs(runID: id) }, .runNotFound(runID: id))
        }
    }

    /// Between a new run's record and its queue entry, another process checking for abandoned runs must not
    /// take it for one (its record says queued, it has no entry yet).
    func testARunBeingSubmittedIsNeverTakenForAbandoned() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: ["max_parallel": 1])
        defer { WorkspaceTestSupport.remove(root) }
        try WorkspaceTestSupport.writeScript(root, "s.py", "print(1)\n")
        let ws = try Workspace(root: root, supervisorExecutable: "/nonexistent/backtest-rpc")
        let other = try Workspace(root: root, supervisorExecutable: "/nonexistent/backtest-rpc")
        let slot = FileLock.tryAcquire(ws.layout.slotLock(0))  // nothing starts
        XCTAssertNotNil(slot)
        let done = Atomic<Bool>(false)
        // Looks at the newest run as soon as its record exists, as another server's check would.
        let checker = Thread {
            while !done.load(ordering: .relaxed) {
                guard let newest = FileSystem.entries(other.layout.runsDir)?.filter(RunStore.isValidRunID).max(),
                      let r = try? other.store.load(runID: newest), r.status == .queued else { continue }
                _ = other.check.check(r)
            }
        }
        checker.start()
        for _ in 0..<300 { _ = try ws.submit(RunRequest(script: "s.py")) }
        done.store(true, ordering: .relaxed)
        let page = try ws.list(limit: 1000)
        XCTAssertEqual(page.total, 300)
        XCTAssertEqual(page.runs.filter { $0.status != .queued }.map { "\($0.runID) \($0.errorMessage ?? "")" }, [])
        slot?.close()
    }
}
