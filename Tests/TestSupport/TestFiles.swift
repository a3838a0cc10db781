#if canImport(XCTest)
import Base
import Provenance
import Glibc
import XCTest

/// Files and commands for tests that work on a folder of their own: temp folders removed when the test ends,
/// whole-file writes and reads, shell commands that must succeed.
public enum TestFiles {
    /// A fresh temp folder `/tmp/<label>-XXXXXX`, removed when the test ends.
    public static func makeTempDir(_ test: XCTestCase, _ label: String = "test") -> String {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        test.addTeardownBlock { _ = CommandRunner.run("rm", ["-rf", dir]) }
        return dir
    }

    /// Writes `text` to `path`, creating its folders.
    public static func write(_ text: String, to path: String) {
        try! FileSystem.makeDirectories(PathText.parent(path))
        try! AtomicFile.write(Array(text.utf8), to: path)
    }

    public static func read(_ path: String) -> String? {
        AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Runs a shell command (in `dir`) and fails the test unless it exits 0; returns its output.
    @discardableResult
    public static func sh(_ command: String, in dir: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let out = CommandRunner.run("/bin/sh", ["-c", command], directory: dir, mergeStderr: true, timeout: 120) else {
            XCTFail("could not start: \(command)", file: file, line: line)
            return ""
        }
        XCTAssertEqual(out.status, 0, "\(command): \(out.text)", file: file, line: line)
        return out.text
    }
}
#endif
