import Foundation
import TestSupport
import XCTest

/// docs/install.md's command, as documented, installs the server where the clients find it: into a temp
/// prefix here (the release build it starts with is left out: the test runs the binary this build made).
final class InstallTests: XCTestCase {
    func testTheDocumentedInstallPutsTheServerWhereClientsFindIt() throws {
        let doc = try String(contentsOfFile: TestPaths.repoRoot + "/docs/install.md", encoding: .utf8)
        let block = try XCTUnwrap(DocsCommandTests.shellBlocks(doc).first, "docs/install.md lost its command")
        let release = "swift build -c release --static-swift-stdlib && .build/release/backtest-rpc"
        XCTAssertTrue(block.contains(release + " install"), block)
        let prefix = try ServerProcess.makeTemporaryDirectory(prefix: "bt-install")
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let command = block.replacingOccurrences(of: release, with: "'\(try ServerProcess.binaryPath())'") + " --prefix '\(prefix)'"
        let (status, output) = try DocsCommandTests.sh(command, in: prefix)
        XCTAssertEqual(status, 0, output)
        let installed = prefix + "/bin/backtest-rpc"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: installed), output)
        XCTAssertTrue(output.contains("is not on your PATH"), "says how to put it on PATH: \(output)")

        // With it on PATH, the server answers and the Python client finds it with no configuration.
        let env = ["PATH": prefix + "/bin:/usr/bin:/bin", "PYTHONPATH": TestPaths.repoRoot + "/clients/python",
                   "BACKTEST_RPC_BIN": ""]
        let (v, version) = try DocsCommandTests.sh("backtest-rpc --version", in: prefix, environment: env)
        XCTAssertEqual(v, 0, version)
        XCTAssertTrue(version.hasPrefix("backtest-rpc "), version)
        let python = try TestPaths.python3()
        let (f, found) = try DocsCommandTests.sh("'\(python)' -c 'from backtest_rpc import find_server; print(find_server()[0])'",
                                                 in: prefix, environment: env)
        XCTAssertEqual(f, 0, found)
        XCTAssertEqual(found.trimmingCharacters(in: .whitespacesAndNewlines), installed)
    }
}
