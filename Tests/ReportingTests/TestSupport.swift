import Base
import Glibc
import Provenance
import TestSupport
import XCTest

/// Helpers shared by the reporting tests: temp folders, files, commands, the fixtures folder.
enum TestSupport {
    /// A fresh temp folder, removed when the test ends.
    static func makeTempDir(_ test: XCTestCase, _ label: String = "report") -> String {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        test.addTeardownBlock { _ = CommandRunner.run("rm", ["-rf", dir]) }
        return dir
    }

    static func write(_ text: String, to path: String) {
        try! FileSystem.makeDirectories(PathText.parent(path))
        try! AtomicFile.write(Array(text.utf8), to: path)
    }

    static func read(_ path: String) -> String? {
        AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Runs a command and fails the test unless it exits 0; returns its stdout.
    @discardableResult
    static func sh(_ command: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let out = CommandRunner.run("/bin/sh", ["-c", command], mergeStderr: true, timeout: 120) else {
            XCTFail("could not start: \(command)", file: file, line: line)
            return ""
        }
        XCTAssertEqual(out.status, 0, "\(command): \(out.text)", file: file, line: line)
        return out.text
    }

    /// The repo's own fixtures folder, Tests/Fixtures.
    static var fixtures: String { TestPaths.fixtures }
}
