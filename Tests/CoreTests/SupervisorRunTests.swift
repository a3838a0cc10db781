import BacktestCore
import Glibc
import JSON
import XCTest

/// Every status path of a run, through the real `backtest-rpc supervise` binary and real scripts.
final class SupervisorRunTests: XCTestCase {
    typealias S = SupervisorTestSupport

    func testExitZeroCompletesAndReleasesLocks() throws {
        let run = try S.makePythonRun(["-c", "import sys; print('hello'); sys.stderr.write('careful\\n')"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .completed)
        XCTAssertNil(rec.failure)
        XCTAssertEqual(rec.exitCode, 0)
        XCTAssertNotNil(rec.startedAt)
        XCTAssertNotNil(rec.completedAt)
        XCTAssertNotNil(rec.pid)
        XCTAssertEqual(rec.supervisorPID, Int(sup))
        XCTAssertEqual(S.waitExit(sup), 0)
        let lines = LogReader(paths: run.paths).lines(from: 0, limit: 10)
        XCTAssertEqual(lines.map(\.text).sorted(), ["careful", "hello"])
        XCTAssertEqual(Set(lines.map(\.stream)), [.stdout, .stderr])
        // Once the supervisor is gone, nothing holds the slot or the run.
        XCTAssertFalse(S.isLocked(run.paths.lock))
        XCTAssertFalse(S.isLocked(run.layout.slotLock(0)))
    }

    func testLocksAreHeldWhileRunningAndNotInheritedByTheScript() throws {
        // The script reports which descriptors it has: only 0, 1, 2 (and the one listdir opens).
        let run = try S.makePythonRun(["-c", "import os,time; print(sorted(int(f) for f in os.listdir('/proc/self/fd')), flush=True); time.sleep(30)"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        XCTAssertTrue(S.eventually { LogReader(paths: run.paths).count() > 0 })
        XCTAssertTrue(S.isLocked(run.paths.lock))
        XCTAssertTrue(S.isLocked(run.layout.slotLock(0)))
        let fds = LogReader(paths: run.paths).lines(from: 0, limit: 1).first?.text ?? ""
        XCTAssertEqual(fds, "[0, 1, 2, 3]", "the script inherited descriptors: \(fds)")
        XCTAssertEqual(kill(sup, SIGTERM), 0)
        XCTAssertEqual(S.finalRecord(run)?.status, .cancelled)
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testCrashFailsWithExitCodeAndKeepsStderr() throws {
        let run = try S.makePythonRun([S.scripts + "/crash.py"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .exitCode)
        XCTAssertEqual(rec.exitCode, 3)
        XCTAssertNil(rec.signal)
        XCTAssertTrue(rec.errorMessage?.contains("code 3") == true, rec.errorMessage ?? "nil")
        XCTAssertTrue(rec.errorMessage?.contains("ERROR: simulated failure") == true, rec.errorMessage ?? "nil")
        let lines = LogReader(paths: run.paths).lines(from: 0, limit: 100)
        XCTAssertEqual(lines.filter { $0.stream == .stdout }.map(\.text), ["Processing day 1/10", "Processing day 2/10", "Processing day 3/10"])
        XCTAssertEqual(lines.filter { $0.stream == .stderr }.count, 1)
        XCTAssertTrue(lines.last?.text.hasPrefix("ERROR:") == true)
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testKilledBySignalIsReported() throws {
        let run = try S.makePythonRun(["-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
        defer { S.remove(run) }
        _ = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .exitCode)
        XCTAssertNil(rec.exitCode)
        XCTAssertEqual(rec.signal, 9)
        XCTAssertEqual(rec.errorMessage, "killed by signal 9")
    }

    func testMissingExecutableIsASpawnError() throws {
        let run = try S.makeRun(["/nonexistent/interpreter", "script.py"])
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .spawnError)
        XCTAssertNil(rec.pid)
        XCTAssertTrue(rec.errorMessage?.contains("No such file or directory") == true, rec.errorMessage ?? "nil")
        XCTAssertEqual(S.waitExit(sup), 0)
        XCTAssertFalse(S.isLocked(run.paths.lock))
    }

    func testTimeoutStopsTheRun() throws {
        let run = try S.makePythonRun([S.scripts + "/hang.py"], timeout: 0.5, grace: 0.5)
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .timeout)
        XCTAssertEqual(rec.signal, Int(SIGTERM))
        XCTAssertEqual(rec.errorMessage, "timed out after 0.5 s")
        XCTAssertGreaterThanOrEqual(rec.durationSeconds ?? 0, 0.5)
        XCTAssertFalse(ProcessGroup.isAlive(pgid: Int32(rec.pid ?? 0)))
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testCancelEscalatesToSIGKILLAfterTheGrace() throws {
        let run = try S.makePythonRun([S.scripts + "/hang.py", "--ignore-term"], grace: 0.5)
        defer { S.remove(run) }
        let sup = try S.launch(run)
        XCTAssertTrue(S.eventually { LogReader(paths: run.paths).lines(from: 0, limit: 5).contains { $0.text == "hanging" } })
        let t0 = S.now()
        XCTAssertEqual(kill(sup, SIGTERM), 0)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertGreaterThanOrEqual(S.now() - t0, 0.45, "SIGKILL came before the grace was over")
        XCTAssertEqual(rec.status, .cancelled)
        XCTAssertNil(rec.failure)
        XCTAssertEqual(rec.signal, 9)
        let pgid = Int32(try XCTUnwrap(rec.pid))
        XCTAssertFalse(ProcessGroup.isAlive(pgid: pgid))
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testCancelKillsGrandchildrenWhichInheritTheEnvironment() throws {
        let run = try S.makePythonRun([S.scripts + "/spawner.py", "--sleep", "3", "--delay", "0.2"], grace: 0.5)
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let started = [1, 2].map { run.results + "/grandchild_\($0).started" }
        XCTAssertTrue(S.eventually { started.allSatisfy { S.read($0)?.hasSuffix("\n") == true } })
        var pids: [pid_t] = []
        for path in started {
            let text = try XCTUnwrap(S.read(path))
            XCTAssertTrue(text.contains("run_id=\(run.runID)"), "environment did not reach the grandchild: \(text)")
            let pid = text.split(separator: " ").first { $0.hasPrefix("pid=") }.flatMap { pid_t($0.dropFirst(4)) }
            pids.append(try XCTUnwrap(pid))
        }
        XCTAssertEqual(kill(sup, SIGTERM), 0)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .cancelled)
        for pid in pids { XCTAssertFalse(S.processAlive(pid), "grandchild \(pid) survived the cancel") }
        XCTAssertFalse(ProcessGroup.isAlive(pgid: Int32(rec.pid ?? 0)))
        XCTAssertFalse(S.exists(run.results + "/grandchild_1.finished"))
        XCTAssertFalse(S.exists(run.results + "/grandchild_2.finished"))
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testProcessesLeftBehindAreStoppedWithAWarning() throws {
        // The shell exits at once; its background sleep keeps stdout open.
        let run = try S.makeShellRun("sleep 30 & echo started; exit 0", grace: 0.3)
        defer { S.remove(run) }
        let sup = try S.launch(run)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .completed)
        XCTAssertEqual(rec.exitCode, 0)
        XCTAssertTrue(rec.warnings.contains("1 process left behind by the script was stopped"), "\(rec.warnings)")
        XCTAssertFalse(ProcessGroup.isAlive(pgid: Int32(rec.pid ?? 0)))
        XCTAssertEqual(LogReader(paths: run.paths).lines(from: 0, limit: 5).map(\.text), ["started"])
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testSIGKILLedSupervisorLeavesTheRunLockFree() throws {
        let run = try S.makePythonRun([S.scripts + "/hang.py"])
        defer { S.remove(run) }
        // Started by hand: no inherited descriptors, so it takes the run lock itself.
        let sup = try S.launch(run, locks: false)
        // Wait until the script has written: killed before that, the supervisor takes the pipe's only reader
        // with it, hang.py's first print meets EPIPE and it exits, leaving no group to find below.
        XCTAssertTrue(S.eventually { S.read(run.paths.log)?.contains("hanging") == true })
        XCTAssertEqual(run.record()?.status, .running)
        XCTAssertTrue(S.isLocked(run.paths.lock))
        // A second supervisor for the same run refuses to start.
        let second = try S.launch(run, locks: false)
        XCTAssertEqual(S.waitExit(second), 1)

        XCTAssertEqual(kill(sup, SIGKILL), 0)
        XCTAssertEqual(S.waitExit(sup), -9)
        XCTAssertFalse(S.isLocked(run.paths.lock), "the run lock outlived its supervisor")
        let rec = try XCTUnwrap(run.record())
        XCTAssertEqual(rec.status, .running)
        // A new supervisor does not start the run again over its log: closing it is a server's job.
        let again = try S.launch(run, locks: false)
        XCTAssertEqual(S.waitExit(again), 1)
        XCTAssertEqual(run.record(), rec)
        // What a server does when it finds such a run: stop what is left of its group.
        let pgid = Int32(try XCTUnwrap(rec.pid))
        XCTAssertTrue(ProcessGroup.isAlive(pgid: pgid))
        XCTAssertTrue(ProcessGroup.terminate(pgid: pgid, grace: 1))
        XCTAssertFalse(ProcessGroup.isAlive(pgid: pgid))
    }

    func testCancelBeforeTheScriptProducesOutputIsStillCancelled() throws {
        let run = try S.makeRun(["/bin/sleep", "30"], grace: 0.5)
        defer { S.remove(run) }
        let sup = try S.launch(run)
        XCTAssertTrue(S.eventually { run.record()?.status == .running })
        XCTAssertEqual(kill(sup, SIGINT), 0)
        let rec = try XCTUnwrap(S.finalRecord(run))
        XCTAssertEqual(rec.status, .cancelled)
        XCTAssertEqual(rec.signal, Int(SIGTERM))
        XCTAssertEqual(S.waitExit(sup), 0)
    }

    func testHooksAreNotNeededForDefaults() {
        let h = SupervisorHooks.none
        let r = RunRecord(runID: "1", script: "s", createdAt: 0, runDir: "/x", outputDir: "/x/results")
        let s = RunSpec(executable: "/bin/true", argv: ["true"], envAdded: [:], baseEnv: [:], cwd: "/", timeoutSeconds: nil,
                        killGraceSeconds: 5, profile: nil, scriptPath: "/bin/true", workspaceRoot: "/", inputs: [])
        XCTAssertTrue(h.validate(r, s, nil).valid)
        XCTAssertNil(h.prepareEnd, "nothing is done ahead")
        XCTAssertEqual(h.onStart(r, s), [])
        XCTAssertEqual(h.afterEnd(r, s), [])
    }
}
