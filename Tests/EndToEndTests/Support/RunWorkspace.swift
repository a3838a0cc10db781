import Foundation
import Glibc
import JSON
import TestSupport
import XCTest

/// A temporary workspace with the repo's fixture scripts copied in (`fixtures/scripts/...`, and
/// `fixtures/make_outputs.py` that strategy_analyzer imports), plus helpers to look at its runs on disk the
/// way a second client would.
struct RunWorkspace {
    let root: String

    static var repoRoot: String { TestPaths.repoRoot }

    init(config: JSONValue? = nil) throws {
        // Standardised ("/tmp//x" → "/tmp/x"), as the server reports paths.
        root = URL(fileURLWithPath: try ServerProcess.makeTemporaryDirectory(prefix: "bt-e2e")).standardizedFileURL.path
        try FileManager.default.copyItem(atPath: TestPaths.fixtures, toPath: root + "/fixtures")
        if let config { try write("backtest-rpc.json", JSONWriter.string(config)) }
    }

    func write(_ name: String, _ text: String, executable: Bool = false) throws {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable { chmod(path, 0o755) }
    }

    func server(_ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(arguments: ["--workspace", root] + extra, workingDirectory: root)
    }

    func runDir(_ id: String) -> String { root + "/backtests/" + id }

    /// run.json as a second client would read it.
    func record(_ id: String) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: runDir(id) + "/run.json") else { return nil }
        return try? JSONParser.parse([UInt8](data))
    }

    /// Ids of the runs on disk, oldest first.
    func runIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/backtests")) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
    }

    func fileExists(_ id: String, _ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: runDir(id) + "/" + relative)
    }

    func read(_ id: String, _ relative: String) -> String? {
        try? String(contentsOfFile: runDir(id) + "/" + relative, encoding: .utf8)
    }

    /// Removes the workspace once no supervisor works in it any more (one that is finishing a run's
    /// metadata would otherwise recreate folders after we deleted them).
    func remove() {
        for id in runIDs() {
            let pid = Int32(record(id)?["supervisor_pid"].intValue ?? 0)
            if pid > 0, record(id)?["status"].stringValue.map({ ["completed", "failed", "cancelled"].contains($0) }) == true {
                eventually(within: 5) { !processAlive(pid) }
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Polls a condition until it holds or the deadline passes. For state that lives on disk or in the process
/// table, where no event tells us it changed; the poll interval is short and the deadline generous.
@discardableResult
func eventually(within seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

func processAlive(_ pid: Int32) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
    // A zombie is dead for our purposes, but only once all its threads are: a killed multi-threaded process
    // (a supervisor) shows its leader as a zombie while other threads still exit and hold its descriptors
    // (and so its locks). /proc/<pid>/task lists the threads not yet gone.
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    guard state == "Z" || state == "X" else { return true }
    let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count ?? 0
    return threads > 1
}

extension ServerProcess {
    /// Submits a run and returns its id.
    func startRun(_ script: String, params: JSONObject = [:], extra: JSONObject = [:]) throws -> String {
        var p: JSONObject = ["script": .string(script), "params": .object(params)]
        for (k, v) in extra { p[k] = v }
        let r = try result("run", .object(p))
        guard let id = r["run_id"].stringValue else { throw Failure(description: "run gave no run_id: \(r)") }
        return id
    }

    /// Waits for the `run/status` notification that says `run_id` reached `status`.
    @discardableResult
    func waitForStatus(_ runID: String, _ status: String, timeout: Double = 30) throws -> JSONValue {
        try waitForNotification("run/status", timeout: timeout) {
            $0["params"]["run_id"] == .string(runID) && $0["params"]["status"] == .string(status)
        }
    }

    /// The statuses announced for a run so far, in order.
    func statuses(_ runID: String) -> [String] {
        notifications(matching: "run/status").filter { $0["params"]["run_id"] == .string(runID) }
            .compactMap { $0["params"]["status"].stringValue }
    }

    /// Every log line text delivered for a run so far, in order.
    func logTexts(_ runID: String) -> [String] {
        notifications(matching: "run/log").filter { $0["params"]["run_id"] == .string(runID) }
            .flatMap { $0["params"]["lines"].arrayValue ?? [] }.compactMap { $0["text"].stringValue }
    }
}

extension RunWorkspace {
    /// A run's metadata document as it is on disk now.
    func metadata(_ id: String) -> JSONValue? {
        read(id, "metadata/backtest_metadata.json").flatMap { try? JSONParser.parse($0) }
    }

    /// The metadata is completed after the final status (the supervisor's afterEnd): wait for it on disk.
    func waitForCompleteMetadata(_ id: String, within seconds: Double = 10,
                                 file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        var meta: JSONValue = .null
        let done = eventually(within: seconds) {
            meta = metadata(id) ?? .null
            return meta["completed_at"].stringValue != nil && meta["result_files"].arrayValue != nil
        }
        if !done { XCTFail("metadata of \(id) never completed: \(meta)", file: file, line: line) }
        return meta
    }

    /// A supervisor still completes its run's metadata after the final status; removing the workspace
    /// under it would leave a half-recreated run folder behind in /tmp. Waits for every supervisor to exit,
    /// then removes the workspace.
    func removeAfterSupervisors() {
        for id in runIDs() {
            guard let pid = record(id)?["supervisor_pid"].intValue, pid > 0 else { continue }
            _ = eventually(within: 10) { !processAlive(Int32(pid)) }
        }
        remove()
    }
}

/// Waits for a run's final status, whichever it is.
@discardableResult
func waitForEnd(_ s: ServerProcess, _ id: String, timeout: Double = 30) throws -> JSONValue {
    try s.waitForNotification("run/status", timeout: timeout) {
        $0["params"]["run_id"] == .string(id)
            && ["completed", "failed", "cancelled"].contains($0["params"]["status"].stringValue ?? "")
    }
}

/// Runs a command (looked up on PATH) to the end and returns its stdout; a non-zero exit throws with its
/// stderr.
func runChecked(_ argv: [String], cwd: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw ServerProcess.Failure(description: "\(argv.joined(separator: " ")) exited \(p.terminationStatus): "
                                    + String(decoding: errData, as: UTF8.self))
    }
    return String(decoding: data, as: UTF8.self)
}
