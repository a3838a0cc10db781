import Foundation
import Glibc
import JSON
import TestSupport
import XCTest

/// Runs through a real single-node Slurm cluster (`SlurmCluster`: slurmctld, slurmd, munged of the tests'
/// own): the job's foreground process is the run's supervisor, so logs, validation and the record are the
/// local path's; the record says which job it was; Slurm's states map onto run statuses both ways; cancel,
/// Slurm's own time limit, a job killed behind our back, slurmd stopped mid-run, `max_jobs` across a sweep,
/// and a server restart mid-sweep.
final class SlurmTests: XCTestCase {
    nonisolated(unsafe) static var cluster: Result<SlurmCluster, Error>?
    var workspaces: [RunWorkspace] = []

    /// Slurm's time limit has a granularity of a minute and is enforced by a periodic check, so the time-limit
    /// scenario takes a minute or more whatever the config: it starts with the cluster, and its test (which
    /// runs late, by name) collects it.
    nonisolated(unsafe) static var timeLimited: (ws: RunWorkspace, server: ServerProcess, runID: String)?

    override class func setUp() {
        super.setUp()
        cluster = SlurmCluster.start()
        if case .success(let c)? = cluster, let ws = try? makeWorkspace(maxJobs: 4),
           let s = try? ServerProcess(arguments: ["--workspace", ws.root], environment: ["SLURM_CONF": c.conf], workingDirectory: ws.root),
           let id = try? s.startRun("sleepy.py", params: ["secs": 300], extra: ["profile": "none", "sbatch_args": ["--time=0:05"]]) {
            timeLimited = (ws, s, id)
        }
    }

    override class func tearDown() {
        timeLimited?.ws.removeAfterSupervisors()
        timeLimited = nil
        if case .success(let c)? = cluster { c.stop() }
        cluster = nil
        super.tearDown()
    }

    override func tearDown() {
        for w in workspaces { w.removeAfterSupervisors() }
        workspaces = []
    }

    private func slurm() throws -> SlurmCluster {
        switch Self.cluster {
        case .success(let c)?: return c
        case .failure(let e)?: throw e
        case nil: throw ServerProcess.Failure(description: "no cluster")
        }
    }

    private func workspace(maxJobs: Int = 4, extra: JSONObject = [:]) throws -> RunWorkspace {
        let ws = try Self.makeWorkspace(maxJobs: maxJobs, extra: extra)
        workspaces.append(ws)
        return ws
    }

    /// A workspace whose executor is the test cluster (asked every 0.2 s; heartbeat every second).
    private static func makeWorkspace(maxJobs: Int = 4, extra: JSONObject = [:]) throws -> RunWorkspace {
        var executor: JSONObject = ["kind": "slurm", "max_jobs": .int(Int64(maxJobs)), "poll_s": 0.2, "heartbeat_s": 1]
        for (k, v) in extra { executor[k] = v }
        let ws = try RunWorkspace(config: ["executor": .object(executor), "kill_grace_s": 1,
                                           "interpreters": [".py": [.string(try TestPaths.python3())]]])
        try ws.write("wait.py", """
            import os, sys, time
            print("ready", flush=True)
            go = os.path.join(os.environ["BACKTEST_RUN_DIR"], "go")
            while not os.path.exists(go):
                time.sleep(0.02)
            print("done", os.environ.get("SLURM_JOB_ID", "no job"), flush=True)
            """)
        try ws.write("quick.py", "print('quick')\n")
        try ws.write("sleepy.py", "import sys, time\nprint('sleeping', flush=True)\ntime.sleep(float(sys.argv[2]))\n")
        return ws
    }

    private func server(_ ws: RunWorkspace) throws -> ServerProcess {
        try ServerProcess(arguments: ["--workspace", ws.root], environment: ["SLURM_CONF": try slurm().conf], workingDirectory: ws.root)
    }

    /// Starts `wait.py` (which says `ready`, then waits for `go` in its run dir) and returns once its first
    /// line arrived: the job runs on the node.
    private func startWaitingRun(_ s: ServerProcess) throws -> String {
        let id = try s.startRun("wait.py", extra: ["profile": "none"])
        try s.waitForNotification("run/log", timeout: 60) { $0["params"]["run_id"] == .string(id) }
        return id
    }

    private func jobID(_ ws: RunWorkspace, _ id: String) -> String? {
        ws.read(id, ".slurm-job").flatMap { $0.allSatisfy(\.isNumber) && !$0.isEmpty ? $0 : nil }
    }

    // MARK: - A run as a job

    /// Completes as a Slurm job: its lines reach the client while the job runs (the script waits for a
    /// file the test writes only after the first line arrived), the job's own output is in the run dir, and
    /// the record names the job and the node.
    func testRunCompletesAsAJobWithItsLogsLive() throws {
        let ws = try workspace()
        let s = try server(ws)
        let id = try startWaitingRun(s)
        XCTAssertEqual(s.logTexts(id), ["ready"])
        let running = try s.result("status", ["run_id": .string(id)])
        XCTAssertEqual(running["status"], "running")
        XCTAssertEqual(running["executor"]["kind"], "slurm")
        let job = try XCTUnwrap(running["executor"]["job_id"].stringValue)
        try ws.write("backtests/\(id)/go", "")
        let end = try waitForEnd(s, id, timeout: 60)
        XCTAssertEqual(end["params"]["status"], "completed", "\(end)")
        XCTAssertEqual(s.logTexts(id), ["ready", "done \(job)"], "the script sees its job's environment")
        XCTAssertEqual(s.statuses(id).last, "completed")
        let record = try s.result("status", ["run_id": .string(id)])
        XCTAssertEqual(record["executor"]["job_id"].stringValue, job)
        XCTAssertEqual(record["executor"]["node"].stringValue, ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init))
        XCTAssertTrue(ws.fileExists(id, "slurm-\(job).out"), "the job's own output is in the run dir")
        XCTAssertEqual(ws.read(id, "execution.log")?.contains("ready"), true)
        XCTAssertTrue(eventually(within: 20) { try! self.slurm().activeJobs(namePrefix: "bt-\(id)").isEmpty })
    }

    /// Validation is the supervisor's, on the node: the same failure as a local run's.
    func testValidationFailureIsTheLocalOne() throws {
        let ws = try workspace()
        let s = try server(ws)
        let id = try s.startRun("quick.py")
        let end = try waitForEnd(s, id, timeout: 60)
        XCTAssertEqual(end["params"]["status"], "failed")
        XCTAssertEqual(end["params"]["failure"], "validation")
        XCTAssertEqual(end["params"]["exit_code"], 0)
        XCTAssertTrue(end["params"]["error_message"].stringValue?.hasPrefix("validation failed: trades.csv: missing") == true, "\(end)")
    }

    // MARK: - Control

    /// cancel → scancel; the supervisor stops the script and writes cancelled.
    func testCancelARunningJob() throws {
        let ws = try workspace()
        let s = try server(ws)
        let id = try s.startRun("sleepy.py", params: ["secs": 60], extra: ["profile": "none"])
        try s.waitForNotification("run/log", timeout: 60) { $0["params"]["run_id"] == .string(id) }
        let pid = Int32(try s.result("status", ["run_id": .string(id)])["pid"].intValue ?? 0)
        XCTAssertTrue(processAlive(pid))
        _ = try s.result("cancel", ["run_id": .string(id)])
        let end = try waitForEnd(s, id, timeout: 30)
        XCTAssertEqual(end["params"]["status"], "cancelled", "\(end)")
        XCTAssertTrue(eventually(within: 10) { !processAlive(pid) })
    }

    /// A job still pending (here: held until a begin time an hour away) shows Slurm's reason in `status`;
    /// cancelled, it ends cancelled without ever starting.
    func testPendingJobShowsSlurmsReasonAndCancels() throws {
        let ws = try workspace()
        let s = try server(ws)
        let id = try s.startRun("quick.py", extra: ["sbatch_args": ["--begin=now+3600"]])
        var record: JSONValue = .null
        XCTAssertTrue(eventually(within: 20) {
            record = (try? s.result("status", ["run_id": .string(id)])) ?? .null
            return record["executor"]["state"] == "PENDING"
        }, "\(record)")
        XCTAssertEqual(record["status"], "queued")
        XCTAssertEqual(record["executor"]["reason"], "BeginTime")
        _ = try s.result("cancel", ["run_id": .string(id)])
        let end = try waitForEnd(s, id, timeout: 30)
        XCTAssertEqual(end["params"]["status"], "cancelled", "\(end)")
        XCTAssertFalse(ws.fileExists(id, "execution.log"), "it never started")
    }

    /// Slurm's own time limit (`--time=0:05`, which Slurm rounds up to a minute; no timeout_s of ours):
    /// failed, failure timeout, and Slurm's state in the message. Started with the cluster (`timeLimited`).
    func testTimeLimitOfSlurmIsATimeout() throws {
        _ = try slurm()
        let (_, s, id) = try XCTUnwrap(Self.timeLimited, "the time-limited run could not be started")
        let end = try waitForEnd(s, id, timeout: 150)
        XCTAssertEqual(end["params"]["status"], "failed", "\(end)")
        var record: JSONValue = .null
        XCTAssertTrue(eventually(within: 30) {
            record = (try? s.result("status", ["run_id": .string(id)])) ?? .null
            return record["failure"] == "timeout"
        }, "\(record)")
        XCTAssertTrue(record["error_message"].stringValue?.contains("TIMEOUT") == true, "\(record)")
    }

    /// Someone's scancel, not ours: the run fails as interrupted, with Slurm's CANCELLED in the message.
    func testJobCancelledBehindOurBackFails() throws {
        let ws = try workspace()
        let s = try server(ws)
        let id = try s.startRun("sleepy.py", params: ["secs": 60], extra: ["profile": "none"])
        try s.waitForNotification("run/log", timeout: 60) { $0["params"]["run_id"] == .string(id) }
        let job = try XCTUnwrap(jobID(ws, id))
        try slurm().command(["scancel", job])
        let end = try waitForEnd(s, id, timeout: 30)
        XCTAssertEqual(end["params"]["status"], "failed", "\(end)")
        XCTAssertEqual(end["params"]["failure"], "interrupted")
        var record: JSONValue = .null
        XCTAssertTrue(eventually(within: 30) {
            record = (try? s.result("status", ["run_id": .string(id)])) ?? .null
            return record["error_message"].stringValue?.contains("CANCELLED") == true
        }, "\(record)")
    }

    /// slurmd stopped while the job runs and started again: the run still ends with its true status (the
    /// script finished meanwhile: completed), and nothing stays running or counted in flight.
    func testSlurmdStoppedAndRestartedMidRun() throws {
        let ws = try workspace()
        let s = try server(ws)
        let c = try slurm()
        let id = try startWaitingRun(s)
        try c.stopSlurmd()
        try ws.write("backtests/\(id)/go", "")
        let end = try waitForEnd(s, id, timeout: 60)
        try c.startSlurmd()
        XCTAssertEqual(end["params"]["status"], "completed", "\(end)")
        XCTAssertTrue(eventually(within: 60) { !FileManager.default.fileExists(atPath: ws.root + "/backtests/.backtest-rpc/slurm-jobs/" + id) },
                      "the job is counted out once Slurm has it ended")
        XCTAssertEqual(try s.result("status", ["run_id": .string(id)])["status"], "completed")
    }

    /// A job Slurm suspends stays running, with SUSPENDED and Slurm's reason in `status`; resumed, it
    /// goes on to its true end.
    func testSuspendedJobStaysRunningWithItsState() throws {
        let ws = try workspace()
        let s = try server(ws)
        let c = try slurm()
        let id = try startWaitingRun(s)
        let job = try XCTUnwrap(jobID(ws, id))
        try c.command(["scontrol", "suspend", job])
        var record: JSONValue = .null
        XCTAssertTrue(eventually(within: 20) {
            record = (try? s.result("status", ["run_id": .string(id)])) ?? .null
            return record["executor"]["state"] == "SUSPENDED"
        }, "\(record)")
        XCTAssertEqual(record["status"], "running")
        XCTAssertNotNil(record["executor"]["reason"].stringValue)
        try c.command(["scontrol", "resume", job])
        try ws.write("backtests/\(id)/go", "")
        let end = try waitForEnd(s, id, timeout: 60)
        XCTAssertEqual(end["params"]["status"], "completed", "\(end)")
    }

    /// A server that died while sbatch ran leaves the run marked `submitting`. A minute later a reconcile
    /// finds the job by its name and adopts it; when Slurm has no such job (here: it was submitted under
    /// another name), the run never reached the cluster and fails, giving its place in max_jobs back.
    func testAbandonedSubmissionIsAdoptedOrFailed() throws {
        let ws = try workspace()
        let s = try server(ws)
        let c = try slurm()
        let found = try s.startRun("quick.py", extra: ["sbatch_args": ["--begin=now+3600"]])
        let lost = try s.startRun("quick.py", extra: ["sbatch_args": ["--begin=now+3600", "--job-name=not-ours"]])
        let jobs = [found, lost].compactMap { id -> String? in
            var job: String?
            _ = eventually(within: 20) { job = jobID(ws, id); return job != nil }
            return job
        }
        XCTAssertEqual(jobs.count, 2)
        defer { for j in jobs { _ = try? c.command(["scancel", j]) } }
        // As the dead server would have left them: marked `submitting` two minutes ago.
        for id in [found, lost] {
            for path in [ws.runDir(id) + "/.slurm-job", ws.root + "/backtests/.backtest-rpc/slurm-jobs/" + id] {
                try "submitting".write(toFile: path, atomically: false, encoding: .utf8)
                var times = [timespec(tv_sec: time(nil) - 120, tv_nsec: 0), timespec(tv_sec: time(nil) - 120, tv_nsec: 0)]
                XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
            }
        }
        XCTAssertTrue(eventually(within: 20) { jobID(ws, found) == jobs[0] }, "the job found by its name is adopted")
        let end = try waitForEnd(s, lost, timeout: 30)
        XCTAssertEqual(end["params"]["status"], "failed")
        XCTAssertEqual(end["params"]["failure"], "spawn_error")
        XCTAssertTrue(end["params"]["error_message"].stringValue?.contains("never reached Slurm") == true, "\(end)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ws.root + "/backtests/.backtest-rpc/slurm-jobs/" + lost))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ws.runDir(lost) + "/.slurm-job"),
                       "the failed run's own dir no longer says it is being submitted")
    }

    // MARK: - Many runs

    /// 50 runs with max_jobs 4: Slurm holds exactly 4 of the workspace's jobs at the peak, never more,
    /// and every run completes.
    func testSweepKeepsExactlyMaxJobsInFlight() throws {
        let ws = try workspace(maxJobs: 4)
        let s = try server(ws)
        let c = try slurm()
        let sweep = try s.result("sweep", ["script": "sleepy.py", "grid": ["secs": .array((0..<50).map { _ in .double(0.5) })],
                                           "profile": "none", "cache": "off"])
        let sweepID = try XCTUnwrap(sweep["sweep_id"].stringValue)
        let peak = Peak()
        let watcher = Thread { while !peak.stopped { peak.see(c.activeJobs(namePrefix: "bt-\(sweepID.dropFirst("sweep_".count))").count); usleep(50_000) } }
        watcher.start()
        var status: JSONValue = .null
        let done = eventually(within: 150) {
            status = (try? s.result("status", ["sweep_id": .string(sweepID)])) ?? .null
            return status["completed"].intValue == 50
        }
        peak.stop()
        XCTAssertTrue(done, "\(status)")
        XCTAssertEqual(peak.max, 4, "the cluster held at most max_jobs of the sweep's jobs, and reached it")
    }

    /// The server goes away mid-sweep: what was submitted goes on in Slurm, and a new server reconciles
    /// and submits the rest; every run ends completed, none stays queued or running.
    func testServerRestartMidSweep() throws {
        let ws = try workspace(maxJobs: 2)
        var s: ServerProcess? = try server(ws)
        let sweep = try s!.result("sweep", ["script": "sleepy.py", "grid": ["secs": [1, 1, 1, 1, 1, 1]], "profile": "none",
                                            "cache": "off"])
        let sweepID = try XCTUnwrap(sweep["sweep_id"].stringValue)
        let runIDs = sweep["run_ids"].arrayValue?.compactMap(\.stringValue) ?? []
        try s!.waitForStatus(runIDs[0], "running", timeout: 60)
        s!.kill(SIGKILL)
        s = nil
        let again = try server(ws)
        var status: JSONValue = .null
        XCTAssertTrue(eventually(within: 120) {
            status = (try? again.result("status", ["sweep_id": .string(sweepID)])) ?? .null
            return status["completed"].intValue == 6
        }, "\(status)")
        for id in runIDs { XCTAssertEqual(ws.record(id)?["status"], "completed", id) }
    }
}

/// The largest count seen by a watcher thread.
private final class Peak: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private var done = false
    var max: Int { lock.withLock { value } }
    var stopped: Bool { lock.withLock { done } }
    func see(_ n: Int) { lock.withLock { value = Swift.max(value, n) } }
    func stop() { lock.withLock { done = true } }
}
