import Foundation

/// Where the test suite's own material lives. Everything a test reads is inside the repository (or in a temp
/// dir the test made): the fixtures under Tests/Fixtures, the tools under Tests/tools.
public enum TestPaths {
    /// The repository root: two levels above this file's folder (Tests/TestSupport/TestPaths.swift).
    public static let repoRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// Tests/Fixtures: the output generator (make_outputs.py) and the stand-in strategies under scripts/.
    public static var fixtures: String { repoRoot + "/Tests/Fixtures" }

    /// Tests/Fixtures/scripts.
    public static var scripts: String { fixtures + "/scripts" }

    /// Tests/Fixtures/make_outputs.py.
    public static var generator: String { fixtures + "/make_outputs.py" }

    /// The real interpreter behind `python3` on PATH, as it reports itself (`sys.executable`): a pyenv shim
    /// costs ~110 ms per start, the interpreter it dispatches to ~40 ms. Skips, naming it, without python3.
    public static func python3() throws -> String {
        try realPython3.get()
    }

    private static let realPython3: Result<String, Error> = {
        guard let shim = which("python3") else {
            return .failure(Prerequisite.missing("python3", install: "apt-get install python3 (Debian)"))
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: shim)
        p.arguments = ["-c", "import sys; print(sys.executable)"]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { return .failure(error) }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .success(p.terminationStatus == 0 && !path.isEmpty ? path : shim)
    }()

    /// A product of this build (`backtest-rpc`), beside the running test bundle: `$BACKTEST_RPC_BIN` for
    /// `backtest-rpc` when set.
    public static func builtProduct(_ name: String) -> String {
        if name == "backtest-rpc", let bin = ProcessInfo.processInfo.environment["BACKTEST_RPC_BIN"], !bin.isEmpty { return bin }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // The bundle may be a directory (…/X.xctest/…) on some set-ups: climb to the build dir.
        while dir.path.contains(".xctest") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent(name).path
    }

    /// The first executable called `name` on PATH.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
