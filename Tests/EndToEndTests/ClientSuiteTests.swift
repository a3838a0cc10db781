import Foundation
import TestSupport
import XCTest

/// The clients (Python with its Jupyter kernel test, Neovim, shell scripts and the recipes in the docs) are
/// tested against the real server binary by clients/run-tests.sh; this runs that suite as part of
/// `swift test`, so that one command runs every test. A part the suite skipped (a missing neovim, jq or
/// venv module) makes this test skip with the suite's reasons, so the one skip rule holds here too.
final class ClientSuiteTests: XCTestCase {
    func testClientSuitePassesAgainstTheBuiltServer() throws {
        let repo = RunWorkspace.repoRoot
        let (status, text) = try DocsCommandTests.sh("bash clients/run-tests.sh", in: repo,
                                                     environment: ["BACKTEST_RPC_BIN": try ServerProcess.binaryPath()])
        // Show the suite's own summary lines in the test log.
        for line in text.split(separator: "\n") where line.contains("passed") || line.contains("FAIL") {
            print("client suite: \(line)")
        }
        XCTAssertEqual(status, 0, "client tests failed:\n" + String(text.suffix(6000)))
        XCTAssertTrue(text.contains("clients: "), "the client suite printed no summary")
        let skipped = text.split(separator: "\n").filter { $0.hasPrefix("skipped: ") }.map { $0.dropFirst(9) }
        if !skipped.isEmpty { throw XCTSkip("client tests skipped: " + skipped.joined(separator: "; ")) }
    }
}
