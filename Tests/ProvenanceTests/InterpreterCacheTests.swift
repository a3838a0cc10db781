import Base
import TestSupport
import XCTest

@testable import Provenance

final class InterpreterCacheTests: XCTestCase {
    func testRealPython() throws {
        let expected = TestFiles.sh("python3 -c 'import sys; print(sys.version.split()[0])'").trimmingNewlines()
        let cache = InterpreterCache(file: nil)
        let info = try XCTUnwrap(cache.info(for: "python3"))
        XCTAssertEqual(info.version, expected)
        XCTAssertTrue(info.path.hasPrefix("/"))
        // A pyenv shim resolves to the real executable, which is not a shell script.
        XCTAssertNotEqual(FileSystem.readPrefix(info.path, count: 2), Array("#!".utf8))
    }

    func testAskedOncePersistedAndReused() throws {
        let dir = TestFiles.makeTempDir(self)
        let counter = dir + "/calls"
        // A fake interpreter that counts how often it is asked.
        TestFiles.write("#!/bin/sh\necho x >> '\(counter)'\necho '{\"executable\": \"/opt/fake/bin/python3.99\", \"version\": \"3.99.1\"}'\n", to: dir + "/bin/python-fake")
        TestFiles.sh("chmod +x '\(dir)/bin/python-fake'")
        let store = dir + "/state/interpreters.json"
        let first = InterpreterCache(file: store)
        let info = try XCTUnwrap(first.info(for: dir + "/bin/python-fake"))
        XCTAssertEqual(info, InterpreterInfo(path: "/opt/fake/bin/python3.99", version: "3.99.1"))
        XCTAssertEqual(first.info(for: dir + "/bin/python-fake"), info)
        // Another process (a new cache on the same file) reuses the answer.
        let second = InterpreterCache(file: store)
        XCTAssertEqual(second.info(for: dir + "/bin/python-fake"), info)
        XCTAssertEqual(TestFiles.read(counter), "x\n")
        // Replacing the interpreter changes its mtime, so it is asked again.
        TestFiles.sh("sleep 0.01; touch '\(dir)/bin/python-fake'")
        XCTAssertNotNil(second.info(for: dir + "/bin/python-fake"))
        XCTAssertEqual(TestFiles.read(counter), "x\nx\n")
    }

    /// The packages are asked with the interpreter, and asked again once its site-packages change.
    func testPackagesAreCachedUntilSitePackagesChange() throws {
        let dir = TestFiles.makeTempDir(self)
        let counter = dir + "/calls"
        TestFiles.sh("mkdir -p '\(dir)/site'")
        TestFiles.write("#!/bin/sh\necho x >> '\(counter)'\necho '{\"executable\": \"/opt/fake/bin/python3.99\", \"version\": \"3.99.1\", "
                          + "\"dirs\": [\"\(dir)/site\"], \"packages\": {\"numpy\": \"1.26.4\"}}'\n", to: dir + "/bin/python-fake")
        TestFiles.sh("chmod +x '\(dir)/bin/python-fake'")
        let cache = InterpreterCache(file: dir + "/state/interpreters.json")
        XCTAssertEqual(cache.info(for: dir + "/bin/python-fake")?.packages, ["numpy": "1.26.4"])
        XCTAssertEqual(InterpreterCache(file: dir + "/state/interpreters.json").info(for: dir + "/bin/python-fake")?.packages,
                       ["numpy": "1.26.4"])
        XCTAssertEqual(TestFiles.read(counter), "x\n")
        TestFiles.sh("sleep 0.01; mkdir '\(dir)/site/pandas-2.2.0.dist-info'")
        XCTAssertNotNil(cache.info(for: dir + "/bin/python-fake"))
        XCTAssertEqual(TestFiles.read(counter), "x\nx\n", "a change in site-packages is not noticed")
    }

    func testMissingInterpreter() {
        XCTAssertNil(InterpreterCache(file: nil).info(for: "no-such-interpreter-xyz"))
    }

    func testNonPythonInterpreterVersionLine() throws {
        let info = try XCTUnwrap(InterpreterCache(file: nil).info(for: "bash"))
        XCTAssertTrue(info.version.contains("bash"), info.version)
    }
}
