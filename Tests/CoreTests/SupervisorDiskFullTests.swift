@testable import BacktestCore
import Base
import Glibc
import TestSupport
import XCTest

/// The real supervisor on a disk that is full from the moment its script starts: every write after its
/// reserve fails (the running record, the metadata, the code capture, every log line), and
/// yet it carries the run to a final record with the true exit code, the validation report and warnings
/// that say what was lost. The runs dir is a tmpfs in a mount namespace of the supervisor's own
/// (`unshare --mount`), filled before it starts so that exactly its reserve fits.
final class SupervisorDiskFullTests: XCTestCase {
    typealias S = SupervisorTestSupport

    override func setUpWithError() throws { try DiskFullSupervision.requireMounting() }

    func testExitZeroOnAFullDiskCompletesWithTheValidationReport() throws {
        let run = try S.makeShellRun("i=0; while [ $i -lt 100 ]; do echo line $i; i=$((i+1)); done")
        defer { S.remove(run) }
        XCTAssertEqual(try DiskFullSupervision.supervise(run, leaveFree: RecordReserve.size), 0)

        let rec = try XCTUnwrap(run.record())
        XCTAssertEqual(rec.status, .completed, rec.errorMessage ?? "")
        XCTAssertEqual(rec.exitCode, 0)
        XCTAssertNotNil(rec.validation, "the validation report landed with the final record")
        XCTAssertTrue(rec.warnings.contains { $0.hasPrefix("metadata:") && $0.contains("No space left on device") },
                      "metadata that could not be written is a warning, not a crash: \(rec.warnings)")
        XCTAssertEqual(rec.history.map(\.status), [.queued, .running, .validating, .completed])
        XCTAssertEqual(rec.logLinesLost, 100)
        assertFullDiskWarnings(rec)
        XCTAssertEqual(LogReader(paths: run.paths).count(), 0)
        XCTAssertFalse(S.exists(RecordReserve.path(run.paths)))
    }

    func testNonZeroExitOnAFullDiskKeepsTheExitCodeAndTheLastStderrLine() throws {
        let run = try S.makeShellRun("echo working; echo 'no room for results' >&2; exit 3")
        defer { S.remove(run) }
        XCTAssertEqual(try DiskFullSupervision.supervise(run, leaveFree: RecordReserve.size), 0)

        let rec = try XCTUnwrap(run.record())
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .exitCode)
        XCTAssertEqual(rec.exitCode, 3)
        XCTAssertEqual(rec.errorMessage, "exited with code 3: no room for results")
        XCTAssertEqual(rec.logLinesLost, 2)
        assertFullDiskWarnings(rec)
    }

    func testReserveIsGoneAfterANormalEnd() throws {
        let run = try S.makeShellRun("echo fine")
        defer { S.remove(run) }
        XCTAssertEqual(try DiskFullSupervision.supervise(run, leaveFree: nil), 0)
        let rec = try XCTUnwrap(run.record())
        XCTAssertEqual(rec.status, .completed)
        XCTAssertEqual(rec.logLinesLost, 0)
        XCTAssertFalse(rec.warnings.contains { $0.contains("reserved") }, "\(rec.warnings)")
        XCTAssertFalse(S.exists(RecordReserve.path(run.paths)))
    }

    /// What a run on a full disk must say about it: the lost lines, the records that could not be saved
    /// meanwhile, and that the final one came from the reserve.
    private func assertFullDiskWarnings(_ rec: RunRecord, file: StaticString = #filePath, line: UInt = #line) {
        let w = rec.warnings
        XCTAssertTrue(w.contains { $0.contains("could not be written to execution.log (no space left on device)") }, "\(w)",
                      file: file, line: line)
        XCTAssertTrue(w.contains("run.json could not be updated to running (no space left on device)"), "\(w)", file: file, line: line)
        // A validation this short is never saved as its own record (`DelayedSave`): nothing to lose there.
        XCTAssertFalse(w.contains { $0.contains("updated to validating") }, "\(w)", file: file, line: line)
        XCTAssertTrue(w.contains("run.json: the final record was written into the space reserved for it (no space left on device)"),
                      "\(w)", file: file, line: line)
    }
}

/// Runs a supervisor to its end with the runs dir on a small tmpfs, in a mount namespace of its own.
enum DiskFullSupervision {
    typealias S = SupervisorTestSupport

    /// Throws the Prerequisite skip unless this process may mount a tmpfs in a private mount namespace.
    static func requireMounting() throws {
        let unshare = try Prerequisite.command("unshare", package: "util-linux")
        let how = "run the tests as root (mount needs CAP_SYS_ADMIN) with unshare from util-linux"
        guard getuid() == 0 else { throw Prerequisite.missing("root, to mount a tmpfs in a private mount namespace", install: how) }
        var template = Array("/tmp/bt-mount-probe-XXXXXX".utf8CString)
        guard let probe = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else { throw XCTSkip("no temp dir") }
        defer { rmdir(probe) }
        let rc = try shell(unshare, ["--mount", "--propagation", "private", "/bin/sh", "-c",
                                     "mount -t tmpfs -o size=64k tmpfs \"$1\"", "sh", probe])
        guard rc == 0 else {
            throw Prerequisite.missing("permission to mount a tmpfs in a private mount namespace (unshare --mount refused)", install: how)
        }
    }

    /// Copies the runs dir onto a 1 MiB tmpfs mounted over it, fills the tmpfs until `leaveFree` bytes are
    /// left (nil: leaves it alone), runs `backtest-rpc supervise` on the run to its end, and copies the run
    /// dir back onto the real disk for the test to read. Returns the supervisor's exit status.
    static func supervise(_ run: S.Run, leaveFree: Int?) throws -> Int32 {
        let unshare = try Prerequisite.command("unshare", package: "util-linux")
        let stage = run.layout.root + "/stage"
        let script = """
            set -e
            runs="$1"; run="$2"; stage="$3"; bin="$4"; root="$5"; free="$6"
            mkdir "$stage"; cp -a "$runs/." "$stage/"
            mount -t tmpfs -o size=1m tmpfs "$runs"
            cp -a "$stage/." "$runs/"
            if [ "$free" != none ]; then
                avail=$(df -B1 --output=avail "$runs" | tail -n 1)
                fallocate -l $((avail - free)) "$runs/filler.bin"
            fi
            set +e
            "$bin" supervise "$run" --runs-dir "$runs" --workspace-root "$root"
            rc=$?
            rm -rf "$stage"; cp -a "$run" "$stage"
            umount "$runs"
            rm -rf "$run"; mv "$stage" "$run"
            exit $rc
            """
        return try shell(unshare, ["--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                                   run.layout.runsDir, run.paths.runDir, stage, S.binary, run.layout.root,
                                   leaveFree.map(String.init) ?? "none"])
    }

    struct DidNotEnd: Error, CustomStringConvertible {
        let command: String
        var description: String { "\(command) was still running after 60 s" }
    }

    /// Runs a program to its end (bounded) and returns its exit status.
    private static func shell(_ executable: String, _ arguments: [String]) throws -> Int32 {
        switch ProcessSpawner.spawn(executable: executable, argv: [executable] + arguments,
                                    environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], cwd: "/") {
        case .success(let pid):
            guard let rc = S.waitExit(pid, within: 60) else { throw DidNotEnd(command: executable) }
            return rc
        case .failure(let e): throw Prerequisite.missing("\(executable) (\(e))", install: "apt-get install util-linux")
        }
    }
}
