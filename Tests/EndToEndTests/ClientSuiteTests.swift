import Foundation
import XCTest

/// The clients (Python with its Jupyter kernel test, Neovim, shell scripts and the recipes in the docs) are
/// tested against the real server binary by clients/run-tests.sh; this runs that suite as part of
/// `swift test`, so that one command runs every test.
final class ClientSuiteTests: XCTestCase {
    func testClientSuitePassesAgainstTheBuiltServer() throws {
        let repo = RunWorkspace.repoRoot
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repo + "/clients/run-tests.sh"]
        var env = ProcessInfo.processInfo.environment
        env["BACKTEST_RPC_BIN"] = try ServerProcess.binaryPath()
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // Show the suite's own summary lines in the test log.
        for line in text.split(separator: "\n") where line.contains("passed") || line.contains("FAIL") {
            print("client suite: \(line)")
        }
        XCTAssertEqual(p.terminationStatus, 0, "client tests failed:\n" + String(text.suffix(6000)))
        XCTAssertTrue(text.contains("clients: "), "the client suite printed no summary")
    }
}
