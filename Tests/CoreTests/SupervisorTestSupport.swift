import BacktestCore
import Base
import Glibc
import JSON
import TestSupport
import XCTest

/// Shared by the supervisor, log and capture tests: temp workspaces with a queued run, the real
/// `backtest-rpc` binary started the way a launcher starts it, and deadline-bounded waits on files.
enum SupervisorTestSupport {
    /// The repo root: three levels above this file (Tests/CoreTests/X.swift).
    static let repoRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The repo's own stand-in strategies, Tests/Fixtures/scripts.
    static var scripts: String { TestPaths.scripts }

    /// The real interpreter behind `python3` (a pyenv shim costs ~110 ms per start).
    static var python: String { get throws { try TestPaths.python3() } }

    /// `BACKTEST_RPC_BIN`, else `backtest-rpc` beside the test bundle (same build directory).
    static let binary: String = {
        if let p = getenv("BACKTEST_RPC_BIN") { return String(cString: p) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        var dir = parent(exe)
        // The bundle may be a directory (…/X.xctest/…) on some set-ups: climb to the build dir.
        while dir.contains(".xctest") { dir = parent(dir) }
        return dir + "/backtest-rpc"
    }()

    static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/") else { return "." }
        return String(p[..<i])
    }

    /// A fresh temp workspace with one queued run.
    struct Run {
        let layout: WorkspaceLayout
        let paths: RunPaths
        var store: RunStore { RunStore(layout: layout, index: nil) }
        func record() -> RunRecord? { try? store.load(paths: paths) }
        var results: String { paths.results }
        var runID: String { paths.runID }
    }

    /// A workspace config whose default profile requires nothing, so that whatever validation the binary
    /// is built with, a script that exits 0 completes (these tests are about supervision, not outputs).
    static let permissiveConfig = """
        {"profiles": {"any": {"description": "supervisor tests: nothing required", "check_log": false,
                              "files": {"anything.csv": {"required": false}}}},
         "validation": {"default_profile": "any"}}
        """

    /// Prepares `<tmp>/backtests/<id>/` with a queued record and a spec that runs `argv` (argv[0] is the
    /// executable) in the results dir, with the BACKTEST_* environment a real submission adds. `code`, when
    /// given, is written to `<tmp>/snippet.<ext>` and `argv` gets that path appended.
    static func makeRun(_ argv: [String], code: String? = nil, ext: String = "py", env: [String: String] = [:],
                        timeout: Double? = nil, grace: Double = 0.5) throws -> Run {
        var template = Array("/tmp/bt-sup-XXXXXX".utf8CString)
        guard let root = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else { throw XCTSkip("no temp dir") }
        try AtomicFile.write(Array(permissiveConfig.utf8), to: root + "/backtest-rpc.json")
        var argv = argv
        if let code {
            let script = root + "/snippet." + ext
            try AtomicFile.write(Array(code.utf8), to: script)
            argv.append(script)
        }
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        let now = ISOTime.nowMillis()
        let id = ISOTime.runIDStem(millis: now)
        let paths = layout.run(id)
        for d in [layout.runsDir, paths.runDir, paths.results] { mkdir(d, 0o755) }
        // The script as a user names it: the first argument that is a file, else the program itself.
        let scriptPath = argv.dropFirst().first { $0.hasPrefix("/") && access($0, R_OK) == 0 } ?? argv[0]
        var record = RunRecord(runID: id, script: String(scriptPath.split(separator: "/").last ?? ""), createdAt: now,
                               runDir: paths.runDir, outputDir: paths.results)
        record.timeoutSeconds = timeout
        var added = env
        added["BACKTEST_RUN_ID"] = id
        added["BACKTEST_OUTPUT_DIR"] = paths.results
        added["BACKTEST_RUN_DIR"] = paths.runDir
        added["PYTHONUNBUFFERED"] = "1"
        let spec = RunSpec(executable: argv[0], argv: argv, envAdded: added, baseEnv: ["PATH": "/usr/bin:/bin"],
                           cwd: paths.results, timeoutSeconds: timeout, killGraceSeconds: grace, profile: nil,
                           scriptPath: scriptPath, workspaceRoot: root, inputs: [])
        let store = RunStore(layout: layout, index: nil)
        try store.save(record)
        try store.saveSpec(spec, paths: paths)
        return Run(layout: layout, paths: paths)
    }

    /// A Python run: the real interpreter with `-u`, then `args`; `["-c", code]` becomes a snippet file.
    static func makePythonRun(_ args: [String], env: [String: String] = [:], timeout: Double? = nil,
                              grace: Double = 0.5) throws -> Run {
        if args.count == 2, args[0] == "-c" {
            return try makeRun([try python, "-u"], code: args[1], env: env, timeout: timeout, grace: grace)
        }
        return try makeRun([try python, "-u"] + args, env: env, timeout: timeout, grace: grace)
    }

    /// A shell snippet run by /bin/sh.
    static func makeShellRun(_ code: String, grace: Double = 0.5) throws -> Run {
        try makeRun(["/bin/sh"], code: code, ext: "sh", grace: grace)
    }

    /// Starts `backtest-rpc supervise` detached, as a launcher does: with `locks`, the slot and run lock are
    /// taken here and handed over as descriptors 3 and 4 (then closed here); without, the supervisor must
    /// take the run lock itself.
    static func launch(_ run: Run, locks: Bool = true) throws -> pid_t {
        XCTAssertEqual(access(binary, X_OK), 0, "build the binary first (swift build): \(binary)")
        var keep: [Int32] = []
        if locks {
            mkdir(run.layout.runsDir + "/.backtest-rpc", 0o755)
            mkdir(run.layout.slotsDir, 0o755)
            for path in [run.layout.slotLock(0), run.paths.lock] {
                let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                XCTAssertGreaterThanOrEqual(fd, 0)
                XCTAssertEqual(flock(fd, LOCK_EX | LOCK_NB), 0)
                keep.append(fd)
            }
        }
        defer { for fd in keep { close(fd) } }
        let r = ProcessSpawner.spawn(executable: binary, argv: [binary, "supervise"] + SupervisorCommand.arguments(runDir: run.paths.runDir, layout: run.layout),
                                     environment: ["PATH": "/usr/bin:/bin"], cwd: "/", keepFDs: keep, newSession: true)
        switch r {
        case .success(let pid): return pid
        case .failure(let e): throw XCTSkip("cannot start \(binary): \(e)")
        }
    }

    /// Waits (bounded) for the supervisor to exit and returns its exit code (nil: still running / signalled).
    static func waitExit(_ pid: pid_t, within seconds: Double = 10) -> Int32? {
        let until = now() + seconds
        var st: Int32 = 0
        while now() < until {
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid { return st & 0x7F == 0 ? (st >> 8) & 0xFF : -(st & 0x7F) }
            if r < 0 { return nil }
            usleep(2000)
        }
        return nil
    }

    /// Polls `condition` every 5 ms until it holds or `seconds` pass; returns whether it held.
    @discardableResult
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let until = now() + seconds
        while now() < until {
            if condition() { return true }
            usleep(5000)
        }
        return condition()
    }

    /// The record once it reaches a terminal status (nil on timeout).
    static func finalRecord(_ run: Run, within seconds: Double = 20) -> RunRecord? {
        var rec: RunRecord?
        eventually(within: seconds) {
            rec = run.record()
            return rec?.status.isTerminal == true
        }
        return rec?.status.isTerminal == true ? rec : nil
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func read(_ path: String) -> String? { AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) } }

    /// Whether some open file holds the flock on `path` right now.
    static func isLocked(_ path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0
    }

    /// Whether `pid` runs; a zombie (dead, waiting for init to reap it) does not.
    static func processAlive(_ pid: pid_t) -> Bool {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Removes a temp workspace.
    static func remove(_ run: Run) {
        let root = run.layout.root
        guard root.hasPrefix("/tmp/bt-sup-") else { return }
        if case .success(let pid) = ProcessSpawner.spawn(executable: "/bin/rm", argv: ["rm", "-rf", root], environment: [:], cwd: "/") {
            _ = waitExit(pid)
        }
    }
}
