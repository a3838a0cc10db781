import Foundation
// Only `swift test` builds see XCTest; a release `swift build` compiles this target too (it is a regular
// target), and must not fail for it.
#if canImport(XCTest)
import XCTest
#endif

/// The one rule for what a test may lack. A test that needs something it cannot provide itself (a system
/// package, root) skips with a message that names it and how to install it; it never installs it. `.ci/run`
/// installs every prerequisite first and fails when any test was skipped, naming it, so a skip is visible
/// on a developer's machine and impossible in CI.
public enum Prerequisite {
    /// The skip for a missing prerequisite: "needs <what>: <how to install it>".
    public static func missing(_ what: String, install: String) -> any Error {
        skip("needs \(what): \(install)")
    }

    /// An XCTSkip with `message` (a plain error where XCTest is not there: never thrown by a test then).
    static func skip(_ message: String) -> any Error {
        #if canImport(XCTest)
        return XCTSkip(message)
        #else
        return Unavailable(message: message)
        #endif
    }

    struct Unavailable: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Throws the skip unless `command` is on PATH; returns its path.
    @discardableResult
    public static func command(_ command: String, package: String) throws -> String {
        guard let path = TestPaths.which(command) else {
            throw missing(command, install: "apt-get install \(package) (Debian), or your system's equivalent")
        }
        return path
    }

    /// The interpreter of the test run's own virtual environment (Tests/tools/test-venv.sh: the pinned packages
    /// of Tests/tools/requirements.txt), made on first use. A missing python3 or venv module is a skip; a
    /// failing install (after its retries) is an error.
    public static func testPython() throws -> String {
        try venvPython.get()
    }

    private static let venvPython: Result<String, Error> = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestPaths.repoRoot + "/Tests/tools/test-venv.sh"]
        // stderr (pip's complaints, of any length) to a file: two pipes read one after the other can deadlock.
        let errPath = NSTemporaryDirectory() + "/test-venv-\(getpid()).err"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errPath)
        do { try p.run() } catch { return .failure(error) }
        let path = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let message = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        switch p.terminationStatus {
        case 0: return .success(path.trimmingCharacters(in: .whitespacesAndNewlines))
        case TestVenvExit.missingPrerequisite:
            return .failure(skip(message.trimmingCharacters(in: .whitespacesAndNewlines)))
        default:
            return .failure(VenvFailure(message: message))
        }
    }()

    /// test-venv.sh's exit codes.
    enum TestVenvExit {
        static let missingPrerequisite: Int32 = 3
    }

    struct VenvFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { "Tests/tools/test-venv.sh failed: \(message)" }
    }
}
