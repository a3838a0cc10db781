@testable import BacktestCore
import Base
import Glibc
import JSON
import XCTest

/// Temp workspaces for the workspace, scheduler, config and index tests. The real `backtest-rpc` binary
/// (for supervisors) and `eventually` come from `SupervisorTestSupport`.
enum WorkspaceTestSupport {
    /// A fresh temp workspace root, with `config` written as backtest-rpc.json when given.
    static func makeRoot(config: JSONValue? = nil) throws -> String {
        var template = Array("/tmp/bt-ws-XXXXXX".utf8CString)
        guard let root = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) })
        else { throw XCTSkip("no temp dir") }
        if let config { try AtomicFile.write(JSONWriter.encode(config), to: root + "/backtest-rpc.json") }
        return root
    }

    /// Writes a script under `root` (parents created), executable when asked.
    @discardableResult
    static func writeScript(_ root: String, _ name: String, _ text: String, executable: Bool = false) throws -> String {
        let path = root + "/" + name
        try? FileSystem.makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
        try AtomicFile.write(Array(text.utf8), to: path, mode: executable ? 0o755 : 0o644)
        return path
    }

    /// A fresh temp dir for tests that need files but no workspace (`/tmp/bt-<label>-XXXXXX`).
    static func tempDir(_ label: String) -> String {
        var template = Array("/tmp/bt-\(label)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    /// Writes `text` to `path`, creating its parents.
    static func write(_ text: String, to path: String) {
        try! FileSystem.makeDirectories(PathText.parent(path))
        try! AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Removes a temp workspace (after its runs ended).
    static func remove(_ root: String) {
        guard root.hasPrefix("/tmp/bt-ws-") else { return }
        if case .success(let pid) = ProcessSpawner.spawn(executable: "/bin/rm", argv: ["rm", "-rf", root], environment: [:], cwd: "/") {
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
    }

    /// The error a throwing call threw, as a CoreError.
    static func coreError<T>(_ body: () throws -> T) -> CoreError? {
        do { _ = try body(); return nil } catch { return error as? CoreError }
    }

    /// A record as the supervisor would leave it, for index and list tests that need no process.
    static func record(_ layout: WorkspaceLayout, id: String, status: RunStatus, script: String = "s.py",
                       tags: [String] = [], createdAt: Int64) -> RunRecord {
        let paths = layout.run(id)
        var r = RunRecord(runID: id, script: script, status: status, createdAt: createdAt, runDir: paths.runDir,
                          outputDir: paths.results)
        r.tags = tags
        if status.isTerminal { r.startedAt = createdAt + 10; r.completedAt = createdAt + 1000; r.exitCode = 0 }
        return r
    }

    /// Config members that make every run that exits 0 complete: a default validation profile whose only
    /// file is optional, so that test scripts need not write the backtest outputs.
    static let lenientValidation: JSONObject = [
        "validation": ["default_profile": "lenient"],
        "profiles": ["lenient": ["files": ["anything.csv": ["required": false]], "check_log": false]],
    ]

    /// `config` with `lenientValidation` added.
    static func lenient(_ config: JSONObject) -> JSONValue {
        var c = config
        for (k, v) in lenientValidation { c[k] = v }
        return .object(c)
    }

    static let binary = SupervisorTestSupport.binary

    @discardableResult
    static func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        SupervisorTestSupport.eventually(within: seconds, condition)
    }
}
