import Foundation
import Glibc
import JSON
import TestSupport
import XCTest

/// A workspace whose runs dir fills up, through the built binary: the server runs in a mount namespace of
/// its own with a small tmpfs on `<workspace>/backtests` (so a test that dies never leaves a mount behind,
/// and the mount goes when its last process does). The scripts fill the disk themselves and, where space
/// must come back, free it themselves once the supervisor has read what they wrote while it was full; the
/// test sees the tmpfs through `/proc/<server pid>/root`.
///
/// Skipped, saying why, where a tmpfs cannot be mounted (not root, no unshare).
final class DiskFullTests: XCTestCase {
    var ws: RunWorkspace!
    var server: ServerProcess!

    override func setUpWithError() throws {
        try DiskFullNamespace.requireMounting()
        ws = try RunWorkspace(config: DiskFullNamespace.permissiveConfig)
        try FileManager.default.createDirectory(atPath: ws.root + "/backtests", withIntermediateDirectories: true)
        try ws.write("disk_full.py", DiskFullNamespace.script)
    }

    override func tearDown() {
        server = nil  // SIGKILLs the server; its mount namespace ends with the last supervisor in it
        ws?.remove()
    }

    /// Issue 5: 1.5 s of ENOSPC used to stop capture for the rest of the run and `logs` said complete.
    func testBriefDiskFullLeavesACountedGapAndCaptureResumes() throws {
        server = try DiskFullNamespace.server(ws)
        let started = Date()
        let id = try server.startRun("disk_full.py", params: ["mode": "gap", "lines": 12_000])
        let final = try server.waitForStatus(id, "completed", timeout: 60)
        XCTAssertEqual(final["params"]["exit_code"], 0)
        let record = try server.result("status", ["run_id": .string(id)])
        let lost = try XCTUnwrap(record["log_lines_lost"].intValue)
        let lines = try allLines(id)
        print("disk full gap: written 12000, kept \(lines.count), lost \(lost), \(elapsed(since: started))")

        XCTAssertGreaterThan(lost, 0, "lines printed while the disk was full cannot all be in the log")
        XCTAssertEqual(lines.count + lost, 12_000, "every line is either kept or counted as lost")
        let numbers = lines.compactMap { DiskFullNamespace.lineNumber($0) }
        XCTAssertEqual(numbers.count, lines.count, "every kept line is a whole line of the script")
        XCTAssertEqual(numbers, numbers.sorted(), "kept lines are in order")
        XCTAssertEqual(Set(numbers).count, numbers.count, "no line is kept twice")
        // Space came back: everything printed after the script freed it is there.
        XCTAssertEqual(Array(numbers.suffix(3_000)), Array(9_000..<12_000), "capture resumed after the gap")
        XCTAssertTrue(warnings(record).contains { $0.contains("no space left on device") }, "\(warnings(record))")
        let page = try server.result("logs", ["run_id": .string(id), "tail": 10])
        XCTAssertEqual(page["complete"], false, "a log with lost lines is never complete")
        try assertLogFilesConsistent(id, lines: lines.count)
    }

    /// Issue 4: the script keeps printing into a full disk and exits 3 while it is still full. The supervisor
    /// keeps reading, keeps the exit code and writes its final record from the space it reserved.
    func testFullDiskUntilTheEndKeepsTheExitCodeAndTheFinalRecord() throws {
        server = try DiskFullNamespace.server(ws)
        let started = Date()
        let id = try server.startRun("disk_full.py", params: ["mode": "exit", "lines": 400_000])
        let final = try server.waitForStatus(id, "failed", timeout: 60)
        XCTAssertEqual(final["params"]["exit_code"], 3)
        XCTAssertEqual(final["params"]["failure"], "exit_code")

        let record = try server.result("status", ["run_id": .string(id)])
        let lost = try XCTUnwrap(record["log_lines_lost"].intValue)
        let kept = try server.result("logs", ["run_id": .string(id), "tail": 1])
        let total = try XCTUnwrap(kept["total_lines"].intValue)
        print("disk full to the end: written 400001, kept \(total), lost \(lost), exit 3 kept, \(elapsed(since: started))")
        XCTAssertEqual(record["exit_code"], 3)
        XCTAssertEqual(total + lost, 400_001, "400,000 stdout lines and one stderr line, kept or counted")
        XCTAssertGreaterThan(lost, 390_000)
        XCTAssertTrue(record["error_message"].stringValue?.hasPrefix("exited with code 3: giving up") == true,
                      "the last stderr line is known even though it could not be written: \(record["error_message"])")
        let w = warnings(record)
        XCTAssertTrue(w.contains { $0.contains("no space left on device") && $0.contains("execution.log") }, "\(w)")
        XCTAssertTrue(w.contains { $0.contains("reserved") }, "\(w)")
        XCTAssertEqual(kept["complete"], false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: try runDir(id) + "/.record.reserve"))

        // Nobody says running.
        XCTAssertEqual(try server.result("list", ["status": "running"])["total"], 0)
        XCTAssertEqual(try server.result("health")["active_runs"], 0)
        try assertLogFilesConsistent(id, lines: total)
    }

    /// A supervisor that dies while the disk is full leaves its reserve behind: the server ends the run as
    /// interrupted through it, at once.
    func testDeadSupervisorOnAFullDiskIsEndedThroughItsReserve() throws {
        server = try DiskFullNamespace.server(ws)
        let id = try server.startRun("disk_full.py", params: ["mode": "hold"])
        try server.waitForStatus(id, "running")
        XCTAssertTrue(eventually { (try? self.diskHasSpace()) == false })
        try killSupervisor(id)

        let answered = try server.result("status", ["run_id": .string(id)])
        XCTAssertEqual(answered["status"], "failed")
        XCTAssertEqual(answered["failure"], "interrupted")
        XCTAssertEqual(onDisk(id)?["status"], "failed", "written into the reserve the supervisor left")
        XCTAssertTrue(warnings(answered).contains { $0.contains("reserved") && $0.contains("no space left on device") },
                      "\(warnings(answered))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: try runDir(id) + "/.record.reserve"))
        try server.waitForStatus(id, "failed", timeout: 10)
    }

    /// Issue 4, the other half: a supervisor that dies while the disk is full (and whose reserve is gone)
    /// cannot have its interrupted record written. The server answers it as interrupted all the same, and
    /// writes it once space comes back.
    func testDeadSupervisorOnAFullDiskIsAnsweredInterruptedAndWrittenLater() throws {
        server = try DiskFullNamespace.server(ws)
        let id = try server.startRun("disk_full.py", params: ["mode": "hold"])
        try server.waitForStatus(id, "running")
        let dir = try runDir(id)
        // The script keeps the disk full: once the reserve is gone, the space it held is taken too.
        XCTAssertTrue(eventually { (try? self.diskHasSpace()) == false })
        XCTAssertEqual(unlink(dir + "/.record.reserve"), 0)
        XCTAssertTrue(eventually { (try? self.diskHasSpace()) == false }, "the script fills what the reserve held")
        let script = try killSupervisor(id)

        let answered = try server.result("status", ["run_id": .string(id)])
        XCTAssertEqual(answered["status"], "failed")
        XCTAssertEqual(answered["failure"], "interrupted")
        XCTAssertTrue(eventually(within: 5) { !processAlive(script) }, "the script is stopped with its supervisor gone")
        XCTAssertEqual(onDisk(id)?["status"], "running", "the disk is full: the record could not be written yet")
        XCTAssertEqual(try server.result("health")["active_runs"], 0)
        let listed = try server.result("list")["runs"].arrayValue ?? []
        XCTAssertEqual(listed.first { $0["run_id"] == .string(id) }?["status"], "failed")
        XCTAssertEqual(try server.result("list", ["status": "running"])["total"], 0)

        // Space comes back: the periodic check writes the record, and followers get the final status.
        XCTAssertEqual(unlink(dir + "/filler.bin"), 0)
        let final = try server.waitForStatus(id, "failed", timeout: 10)
        XCTAssertEqual(final["params"]["failure"], "interrupted")
        XCTAssertEqual(onDisk(id)?["status"], "failed")
        XCTAssertEqual(onDisk(id)?["error_message"], answered["error_message"], "the record answered is the one written")
    }

    // MARK: - Helpers

    /// SIGKILLs the run's supervisor and waits until it is gone (its run lock with it). Returns the script's pid.
    @discardableResult
    private func killSupervisor(_ id: String) throws -> Int32 {
        let running = try server.result("status", ["run_id": .string(id)])
        XCTAssertEqual(running["status"], "running")
        let supervisor = Int32(try XCTUnwrap(running["supervisor_pid"].intValue))
        kill(supervisor, SIGKILL)
        XCTAssertTrue(eventually { !processAlive(supervisor) })
        return Int32(try XCTUnwrap(running["pid"].intValue))
    }

    /// The run's directory as the server sees it (inside its mount namespace).
    private func runDir(_ id: String) throws -> String {
        "/proc/\(server.pid)/root" + ws.root + "/backtests/" + id
    }

    private func onDisk(_ id: String) -> JSONValue? {
        guard let dir = try? runDir(id), let data = FileManager.default.contents(atPath: dir + "/run.json") else { return nil }
        return try? JSONParser.parse([UInt8](data))
    }

    /// Whether the tmpfs has a free block.
    private func diskHasSpace() throws -> Bool {
        var st = statvfs()
        guard statvfs("/proc/\(server.pid)/root" + ws.root + "/backtests", &st) == 0 else {
            throw ServerProcess.Failure(description: "statvfs failed: errno \(errno)")
        }
        return st.f_bavail > 0
    }

    /// Every kept line's text, through `logs`, page by page.
    private func allLines(_ id: String) throws -> [String] {
        var texts: [String] = []
        var after = -1
        while true {
            let page = try server.result("logs", ["run_id": .string(id), "after_seq": .int(Int64(after)), "limit": 10_000])
            let lines = page["lines"].arrayValue ?? []
            texts += lines.compactMap { $0["text"].stringValue }
            guard let last = lines.last?["seq"].intValue else { return texts }
            after = last
        }
    }

    /// `.log.idx` has whole 24-byte entries only, each pointing right after the previous line, and
    /// execution.log ends exactly after the last: no partial entry, no stray bytes from a failed write.
    private func assertLogFilesConsistent(_ id: String, lines: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try runDir(id)
        let index = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/.log.idx"), file: file, line: line)
        let log = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/execution.log"), file: file, line: line)
        XCTAssertEqual(index.count, lines * 24, "whole entries, one per kept line", file: file, line: line)
        var expected: UInt64 = 0
        var bad = 0
        index.withUnsafeBytes { raw in
            for k in 0..<(raw.count / 24) {
                let offset = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k * 24, as: UInt64.self))
                let length = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: k * 24 + 8, as: UInt32.self)))
                let end = offset + length
                if offset != expected || end >= UInt64(log.count) || log[Int(end)] != 0x0A { bad += 1 }
                expected = end + 1
            }
        }
        XCTAssertEqual(bad, 0, "index entries that do not point at the next whole line", file: file, line: line)
        XCTAssertEqual(UInt64(log.count), expected, "execution.log ends after the last indexed line", file: file, line: line)
    }

    private func warnings(_ record: JSONValue) -> [String] { record["warnings"].arrayValue?.compactMap(\.stringValue) ?? [] }

    private func elapsed(since start: Date) -> String { String(format: "%.2f s", Date().timeIntervalSince(start)) }
}

/// The mount namespace, the script and the config the disk-full tests share.
enum DiskFullNamespace {
    static let tmpfsSize = "2m"

    /// A profile that requires nothing: these tests are about what is kept, not about the outputs.
    static let permissiveConfig: JSONValue = [
        "profiles": ["any": ["description": "disk-full tests: nothing required", "check_log": false,
                             "files": ["anything.csv": ["required": false]]]],
        "validation": ["default_profile": "any"],
    ]

    /// Throws the Prerequisite skip unless this process may mount a tmpfs in a private mount namespace.
    static func requireMounting() throws {
        let unshare = try Prerequisite.command("unshare", package: "util-linux")
        let how = "run the tests as root (mount needs CAP_SYS_ADMIN) with unshare from util-linux"
        guard getuid() == 0 else { throw Prerequisite.missing("root, to mount a tmpfs in a private mount namespace", install: how) }
        let probe = try ServerProcess.makeTemporaryDirectory(prefix: "bt-mount-probe")
        defer { rmdir(probe) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: unshare)
        p.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", "mount -t tmpfs -o size=64k tmpfs \"$1\"", "sh", probe]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Prerequisite.missing("permission to mount a tmpfs in a private mount namespace (unshare --mount refused)", install: how)
        }
    }

    /// The server in a mount namespace of its own, with a tmpfs on the workspace's runs dir.
    static func server(_ ws: RunWorkspace) throws -> ServerProcess {
        let unshare = try Prerequisite.command("unshare", package: "util-linux")
        let mountAndServe = "mount -t tmpfs -o size=\(tmpfsSize) tmpfs \"$1/backtests\" && exec \"$2\" --workspace \"$1\""
        return try ServerProcess(arguments: ["--mount", "--propagation", "private", "/bin/sh", "-c", mountAndServe,
                                             "sh", ws.root, try ServerProcess.binaryPath()],
                                 workingDirectory: ws.root, binary: unshare)
    }

    /// "line 0000042" → 42.
    static func lineNumber(_ text: String) -> Int? {
        guard text.hasPrefix("line "), text.count == 12 else { return nil }
        return Int(text.dropFirst(5))
    }

    /// Fills the disk its run dir is on (`filler.bin` in the run dir), then, by `--mode`:
    /// - `gap`: prints a quarter of `--lines`, fills the disk, prints half of them while it is full, waits
    ///   until the supervisor has read them, frees the disk and prints the last quarter; exits 0.
    /// - `exit`: fills the disk, prints `--lines` lines into it, one line on stderr, and exits 3.
    /// - `hold`: fills the disk and keeps it full (taking any space that comes free) until killed.
    static let script = #"""
        import argparse, errno, fcntl, os, struct, sys, termios, time

        ap = argparse.ArgumentParser()
        ap.add_argument("--mode", default="gap")
        ap.add_argument("--lines", type=int, default=12000)
        args, _ = ap.parse_known_args()
        filler = os.path.join(os.environ["BACKTEST_RUN_DIR"], "filler.bin")
        out = sys.stdout.buffer

        def lines(first, last):
            for start in range(first, last, 10000):
                out.write(b"".join(b"line %07d\n" % i for i in range(start, min(start + 10000, last))))
            out.flush()

        def fill():
            """Writes filler until the disk is full; returns whether it found any space."""
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            took = False
            for size in (1 << 16, 4096):
                while True:
                    try:
                        os.write(fd, b"\0" * size)
                        took = True
                    except OSError as e:
                        if e.errno != errno.ENOSPC:
                            raise
                        break
            os.close(fd)
            return took

        def read_by_supervisor():
            """Waits until the supervisor has read everything on stdout (then it has tried to write all but
            its last read)."""
            pending = bytearray(4)
            while True:
                fcntl.ioctl(1, termios.FIONREAD, pending)
                if struct.unpack("i", pending)[0] == 0:
                    return
                time.sleep(0.001)

        n = args.lines
        if args.mode == "gap":
            lines(0, n // 4)
            read_by_supervisor()
            fill()
            # Twice: everything of the first half was surely tried while the disk was full.
            lines(n // 4, n // 2)
            read_by_supervisor()
            lines(n // 2, 3 * n // 4)
            read_by_supervisor()
            os.unlink(filler)
            lines(3 * n // 4, n)
        elif args.mode == "exit":
            fill()
            lines(0, n)
            print("giving up: disk full", file=sys.stderr, flush=True)
            sys.exit(3)
        else:
            fill()
            while True:
                fill()
                time.sleep(0.005)
        """#
}
