@testable import BacktestCore
import Foundation
import Glibc
import JSON
import Synchronization
import XCTest

/// The run lifecycle in-process (RunSupervisor, no signals installed, no inherited locks), to see when each
/// hook is called, with what, and what its answers do to the record.
final class SupervisorHooksTests: XCTestCase {
    typealias S = SupervisorTestSupport

    /// What the hooks saw, in order.
    final class Journal: Sendable {
        let events = Mutex<[String]>([])
        func add(_ e: String) { events.withLock { $0.append(e) } }
        var all: [String] { events.withLock { $0 } }
    }

    private func hooks(_ j: Journal, valid: Bool, errors: [String] = []) -> SupervisorHooks {
        SupervisorHooks(
            index: nil,
            onStart: { r, _ in
                j.add("onStart \(r.status.rawValue) pid=\(r.pid != nil)")
                usleep(200_000)  // slow metadata capture: must not hold up the script or be skipped
                j.add("onStart done")
                return ["metadata: no git"]
            },
            validate: { r, _, _ in
                j.add("validate \(r.status.rawValue) exit=\(r.exitCode.map(String.init) ?? "nil")")
                return (valid, ["checked": .bool(true)], errors)
            },
            afterEnd: { r, _ in
                j.add("afterEnd \(r.status.rawValue)")
                return ["metadata: completion failed"]
            })
    }

    /// Runs `run` in this process; `cancelFirst` puts a plain SIGTERM's record (signal, token 0) in the
    /// wake pipe before it starts, `signalFirst` the record of a SIGTERM that carried that token.
    private func supervise(_ run: S.Run, _ hooks: SupervisorHooks, _ j: Journal, cancelFirst: Bool = false,
                           signalFirst token: Int32? = nil) throws -> RunRecord {
        var wake: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&wake), 0)
        defer { close(wake[0]); close(wake[1]) }
        _ = fcntl(wake[0], F_SETFL, O_NONBLOCK)
        if cancelFirst { var rec: [Int32] = [SIGTERM, 0]; _ = write(wake[1], &rec, 8) }
        if let token { var rec: [Int32] = [SIGTERM, token]; _ = write(wake[1], &rec, 8) }
        let store = RunStore(layout: run.layout, index: nil)
        let sup = RunSupervisor(paths: run.paths, layout: run.layout, makeHooks: { hooks }, diagnostics: SupervisorDiagnostics(runDir: run.paths.runDir),
                                wakeFD: wake[0], releaseSlot: { j.add("releaseSlot") })
        sup.run(record: try store.load(paths: run.paths), spec: try store.loadSpec(paths: run.paths))
        return try store.load(paths: run.paths)
    }

    func testInvalidOutputsFailValidationAndHooksRunInOrder() throws {
        let run = try S.makeShellRun("echo ok")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: false, errors: ["e1", "e2", "e3", "e4"]), j)
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .validation)
        XCTAssertEqual(rec.exitCode, 0)
        XCTAssertEqual(rec.errorMessage, "validation failed: e1; e2; e3")
        XCTAssertEqual(rec.validation, ["checked": .bool(true)])
        XCTAssertEqual(rec.warnings, ["metadata: no git", "metadata: completion failed"])
        XCTAssertEqual(j.all, ["onStart running pid=true", "onStart done", "validate validating exit=0", "releaseSlot", "afterEnd failed"])
        XCTAssertEqual(LogReader(paths: run.paths).lines(from: 0, limit: 5).map(\.text), ["ok"])
    }

    /// `validating` is saved as its own record only when validation lasts (`DelayedSave`): a slow one is
    /// seen on disk while it runs. Either way the status is in the history. (That a quick one is not saved
    /// is a matter of speed, seen in the bench: a test of it would depend on this thread not being held up
    /// for the delay.)
    func testOnlyASlowValidationIsSavedAsValidating() throws {
        for slow in [true, false] {
            let run = try S.makeShellRun("echo ok")
            defer { S.remove(run) }
            let store = RunStore(layout: run.layout, index: nil)
            let seenOnDisk = Mutex<RunStatus?>(nil)
            let hooks = SupervisorHooks(index: nil, validate: { r, _, _ in
                if slow {
                    // Waits for the delayed save to land, as a client polling `status` would see it.
                    let deadline = Date().addingTimeInterval(10)
                    while Date() < deadline, (try? store.load(paths: run.paths))?.status != .validating { usleep(5_000) }
                }
                seenOnDisk.withLock { $0 = (try? store.load(paths: run.paths))?.status }
                return (true, .null, [])
            })
            let rec = try supervise(run, hooks, Journal())
            XCTAssertEqual(rec.status, .completed)
            XCTAssertEqual(rec.history.map(\.status), [.queued, .running, .validating, .completed])
            if slow { XCTAssertEqual(seenOnDisk.withLock { $0 }, .validating) }
        }
    }

    func testValidOutputsComplete() throws {
        let run = try S.makeShellRun("echo ok")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j)
        XCTAssertEqual(rec.status, .completed)
        XCTAssertNil(rec.failure)
        XCTAssertNil(rec.errorMessage)
    }

    func testNonZeroExitIsValidatedButStaysAnExitCodeFailure() throws {
        let run = try S.makeShellRun("echo boom >&2; exit 4")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j)
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .exitCode)
        XCTAssertEqual(rec.exitCode, 4)
        XCTAssertEqual(rec.errorMessage, "exited with code 4: boom")
        XCTAssertEqual(rec.validation, ["checked": .bool(true)])
        XCTAssertTrue(j.all.contains("validate validating exit=4"))
    }

    func testCancelBeforeSpawnStartsNothing() throws {
        let run = try S.makeShellRun("echo should-not-run")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j, cancelFirst: true)
        XCTAssertEqual(rec.status, .cancelled)
        XCTAssertNil(rec.pid)
        XCTAssertEqual(j.all, ["releaseSlot", "afterEnd cancelled"])
        XCTAssertEqual(LogReader(paths: run.paths).count(), 0)
    }

    /// A supervisor goes on to the next queued run when one ends, so a cancel sent for the run that just
    /// ended can arrive during the next: it carries the ended run's token and must not stop this one.
    func testCancelOfAnotherRunDoesNotStopThisOne() throws {
        let run = try S.makeShellRun("echo ran")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j, signalFirst: CancelSignal.token(runID: "20990101_000000_000"))
        XCTAssertEqual(rec.status, .completed)
        XCTAssertEqual(LogReader(paths: run.paths).count(), 1)
    }

    func testCancelWithThisRunsTokenStopsIt() throws {
        let run = try S.makeShellRun("echo should-not-run")
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j, signalFirst: CancelSignal.token(runID: run.paths.runID))
        XCTAssertEqual(rec.status, .cancelled)
        XCTAssertNil(rec.pid)
    }

    /// Two SIGTERMs pending at once arrive as one, with the first's token: a cancel of this run that merged
    /// with a late cancel of the last run is still seen, by its request file.
    func testMergedCancelIsSeenByItsRequestFile() throws {
        let run = try S.makeShellRun("echo should-not-run")
        defer { S.remove(run) }
        let fd = open(run.paths.cancelRequest, O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j, signalFirst: CancelSignal.token(runID: "20990101_000000_000"))
        XCTAssertEqual(rec.status, .cancelled)
    }

    func testSpawnErrorSkipsOnStartAndValidation() throws {
        let run = try S.makeRun(["/nonexistent"])
        defer { S.remove(run) }
        let j = Journal()
        let rec = try supervise(run, hooks(j, valid: true), j)
        XCTAssertEqual(rec.status, .failed)
        XCTAssertEqual(rec.failure, .spawnError)
        XCTAssertEqual(j.all, ["releaseSlot", "afterEnd failed"])
    }
}
