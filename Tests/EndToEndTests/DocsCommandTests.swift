import Foundation
import TestSupport
import XCTest

/// The commands the README and the getting-started guide tell a new user to type are run here, so the docs
/// cannot rot. `swift build` / `swift test` themselves are left out (this is already inside `swift test`);
/// the built binary stands in for `.build/debug/backtest-rpc`.
final class DocsCommandTests: XCTestCase {
    func testReadmeAndGettingStartedCommandsWork() throws {
        try Prerequisite.command("jq", package: "jq")  // the README's pipe ends in jq
        let repo = RunWorkspace.repoRoot
        let binary = try ServerProcess.binaryPath()
        var ran = 0
        for doc in ["README.md", "docs/getting-started.md"] {
            let text = try String(contentsOfFile: repo + "/" + doc, encoding: .utf8)
            // Each command runs in a fresh directory laid out like the repo's docs/examples.
            let dir = try ServerProcess.makeTemporaryDirectory(prefix: "bt-docs")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try FileManager.default.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: repo + "/docs/examples", toPath: dir + "/docs/examples")
            for block in Self.shellBlocks(text) {
                var command = block.replacingOccurrences(of: "swift build && ", with: "")
                    .replacingOccurrences(of: ".build/debug/backtest-rpc", with: binary)
                let lines = command.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                if lines.allSatisfy({ $0.isEmpty || $0 == "swift build" || $0 == "swift test" }) { continue }
                command = lines.filter { $0 != "swift build" && $0 != "swift test" }.joined(separator: "\n")
                let (status, output) = try Self.sh(command, in: dir)
                XCTAssertEqual(status, 0, "\(doc): `\(command)` failed:\n\(output)")
                XCTAssertFalse(output.contains("\"error\""), "\(doc): `\(command)` answered an error:\n\(output)")
                ran += 1
            }
        }
        XCTAssertGreaterThanOrEqual(ran, 3, "the docs lost their commands")
    }

    /// docs/bring-your-own-script.md: its blocks, in order, in one fresh directory, with `backtest-rpc` on PATH.
    func testBringYourOwnScriptGuideWorksAsWritten() throws {
        try Prerequisite.command("jq", package: "jq")
        let text = try String(contentsOfFile: RunWorkspace.repoRoot + "/docs/bring-your-own-script.md", encoding: .utf8)
        let blocks = Self.shellBlocks(text)
        XCTAssertEqual(blocks.count, 3, "the guide's commands changed: update this test")
        let dir = URL(fileURLWithPath: try ServerProcess.makeTemporaryDirectory(prefix: "bt-byos")).standardizedFileURL.path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/bin/backtest-rpc", withDestinationPath: try ServerProcess.binaryPath())
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let env = ["PATH": dir + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        var outputs: [String] = []
        for block in blocks {
            let (status, output) = try Self.sh(block, in: work, environment: env)
            XCTAssertEqual(status, 0, "`\(block)` failed:\n\(output)")
            XCTAssertFalse(output.contains("\"error\""), "`\(block)` answered an error:\n\(output)")
            outputs.append(output)
        }
        XCTAssertTrue(outputs[0].contains(#"{"status":"completed","exit_code":0}"#), outputs[0])
        XCTAssertTrue(outputs[0].contains(work + "/.venv/bin/python"), "the venv's own interpreter ran: \(outputs[0])")
        XCTAssertTrue(outputs[0].contains("pip"), "the venv's packages are recorded: \(outputs[0])")
        XCTAssertTrue(outputs[1].contains("plot.html"), outputs[1])
        XCTAssertTrue(outputs[2].contains("validation failed") && outputs[2].contains(#"profile: "none""#), outputs[2])
    }

    func testReadmeRunCommandShowsACompletedRun() throws {
        try Prerequisite.command("jq", package: "jq")
        let repo = RunWorkspace.repoRoot
        let text = try String(contentsOfFile: repo + "/README.md", encoding: .utf8)
        guard let block = Self.shellBlocks(text).first(where: { $0.contains("\"method\":\"run\"") }) else {
            return XCTFail("the README has no run command")
        }
        let dir = try ServerProcess.makeTemporaryDirectory(prefix: "bt-docs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repo + "/docs/examples", toPath: dir + "/docs/examples")
        let command = block.replacingOccurrences(of: "swift build && ", with: "")
            .replacingOccurrences(of: ".build/debug/backtest-rpc", with: try ServerProcess.binaryPath())
        let (status, output) = try Self.sh(command, in: dir)
        XCTAssertEqual(status, 0)
        XCTAssertTrue(output.contains("\"status\":\"completed\""), "the README's run does not complete:\n\(output)")
        XCTAssertTrue(output.contains("\"status\":\"validating\""))
    }

    /// docs/performance.md's commands run the benchmarks (minutes each, and meant for a quiet release build):
    /// here each suite it names must exist in the built `backtest-bench`.
    func testPerformanceDocNamesRealBenchSuites() throws {
        let repo = RunWorkspace.repoRoot
        let text = try String(contentsOfFile: repo + "/docs/performance.md", encoding: .utf8)
        let named = Self.shellBlocks(text).joined(separator: "\n").split(separator: "\n")
            .filter { $0.contains("backtest-bench ") }
            .compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        XCTAssertGreaterThanOrEqual(named.count, 5)
        let bench = URL(fileURLWithPath: try ServerProcess.binaryPath()).deletingLastPathComponent().appendingPathComponent("backtest-bench").path
        let (status, help) = try Self.sh("'\(bench)' --help", in: repo)
        XCTAssertEqual(status, 0, help)
        for suite in named { XCTAssertTrue(help.contains("  \(suite) "), "backtest-bench has no suite \(suite)") }
    }

    /// The bodies of the ```sh blocks of a Markdown text, with `\` line continuations kept.
    static func shellBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = [], current: [String]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line.hasPrefix("```sh") { current = []; continue }
            if current != nil, line.hasPrefix("```") { blocks.append(current!.joined(separator: "\n")); current = nil; continue }
            current?.append(String(line))
        }
        return blocks
    }

    /// Runs a bash command in `dir` (with extra environment); returns its status and its output and errors.
    static func sh(_ command: String, in dir: String, environment: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-o", "pipefail", "-c", command]
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
