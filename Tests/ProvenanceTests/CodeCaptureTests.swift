import Base
import TestSupport
import XCTest

@testable import Provenance

final class CodeCaptureTests: XCTestCase {
    func testMultifileWithManifestCapturesExactlyTheListedFiles() throws {
        let strategy = TestSupport.multifileCopy(self)
        let workspace = PathText.parent(strategy)
        let codeDir = TestFiles.makeTempDir(self) + "/code"
        let result = CodeCapture.capture(entry: strategy + "/main.py", workspaceRoot: workspace, codeDir: codeDir)
        XCTAssertEqual(result.mode, .manifest)
        XCTAssertEqual(result.entry, "main.py")
        XCTAssertEqual(result.files.map(\.path),
                       ["config/params.json", "main.py", "utils/__init__.py", "utils/helpers.py", "utils/indicators.py"])
        XCTAssertEqual(result.warnings, [])
        XCTAssertEqual(result.log.first, "code capture: strategy.yaml (5 files)")
        XCTAssertTrue(result.log.contains("captured utils/helpers.py"))
        // Copies are byte-identical, hashes match sha256sum, and the executable bit survives.
        XCTAssertEqual(FileSystem.walkFiles(codeDir), result.files.map(\.path))
        for file in result.files {
            let expected = String(TestFiles.sh("sha256sum '\(strategy)/\(file.path)'").prefix(64))
            XCTAssertEqual(file.sha256, expected, file.path)
            XCTAssertEqual(try SHA256.hexOfFile(path: codeDir + "/" + file.path), expected)
            XCTAssertEqual(file.size, FileSystem.fingerprint(strategy + "/" + file.path)?.size)
        }
        XCTAssertEqual(access(codeDir + "/main.py", X_OK), 0)
    }

    func testMultifileWithoutManifestFollowsImports() {
        let strategy = TestSupport.multifileCopy(self)
        TestFiles.sh("rm '\(strategy)/strategy.yaml'")
        let codeDir = TestFiles.makeTempDir(self) + "/code"
        let result = CodeCapture.capture(entry: strategy + "/main.py", workspaceRoot: PathText.parent(strategy), codeDir: codeDir)
        XCTAssertEqual(result.mode, .imports)
        // numpy, argparse, math... are not local; config/params.json is reachable only through the manifest.
        XCTAssertEqual(result.files.map(\.path), ["main.py", "utils/__init__.py", "utils/helpers.py", "utils/indicators.py"])
        XCTAssertEqual(result.log.first, "code capture: import analysis (4 files)")
        XCTAssertEqual(result.warnings, [])
    }

    func testManifestWithMissingFileWarnsAndGoesOn() {
        let strategy = TestSupport.multifileCopy(self)
        TestFiles.sh("rm '\(strategy)/utils/helpers.py'")
        let result = CodeCapture.capture(entry: strategy + "/main.py", workspaceRoot: PathText.parent(strategy),
                                         codeDir: TestFiles.makeTempDir(self) + "/code")
        XCTAssertEqual(result.mode, .manifest)
        XCTAssertEqual(result.files.count, 4)
        XCTAssertEqual(result.warnings, ["strategy.yaml: listed file utils/helpers.py is missing"])
    }

    func testManifestForAnotherEntryIsIgnored() {
        let strategy = TestSupport.multifileCopy(self)
        TestFiles.write("import utils.helpers\n", to: strategy + "/other.py")
        let result = CodeCapture.capture(entry: strategy + "/other.py", workspaceRoot: PathText.parent(strategy),
                                         codeDir: TestFiles.makeTempDir(self) + "/code")
        XCTAssertEqual(result.mode, .imports)
        XCTAssertEqual(result.files.map(\.path), ["other.py", "utils/__init__.py", "utils/helpers.py", "utils/indicators.py"])
    }

    func testNonPythonScriptIsCapturedAsItself() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("#!/bin/sh\n# import not_python\necho hi\n", to: dir + "/scripts/run.sh")
        TestFiles.write("x\n", to: dir + "/scripts/helper.py")
        let result = CodeCapture.capture(entry: dir + "/scripts/run.sh", workspaceRoot: dir, codeDir: dir + "/code")
        XCTAssertEqual(result.mode, .single)
        XCTAssertEqual(result.files.map(\.path), ["run.sh"])
        XCTAssertEqual(result.log.first, "code capture: single file (1 file)")
    }

    func testExtensionlessPythonShebangIsAnalysed() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("#!/usr/bin/env python3\nimport helper\n", to: dir + "/s/strategy")
        TestFiles.write("x = 1\n", to: dir + "/s/helper.py")
        let result = CodeCapture.capture(entry: dir + "/s/strategy", workspaceRoot: dir, codeDir: dir + "/code")
        XCTAssertEqual(result.mode, .imports)
        XCTAssertEqual(result.files.map(\.path), ["helper.py", "strategy"])
    }

    func testWorkspaceModulesGoUnderWorkspacePrefix() {
        let ws = TestFiles.makeTempDir(self)
        TestFiles.write("import shared.tools\nimport local_mod\n", to: ws + "/scripts/s.py")
        TestFiles.write("", to: ws + "/scripts/local_mod.py")
        TestFiles.write("", to: ws + "/shared/__init__.py")
        TestFiles.write("from . import sibling\n", to: ws + "/shared/tools.py")
        TestFiles.write("", to: ws + "/shared/sibling.py")
        TestFiles.write("", to: ws + "/unrelated.py")
        let result = CodeCapture.capture(entry: ws + "/scripts/s.py", workspaceRoot: ws, codeDir: ws + "/run/code")
        XCTAssertEqual(result.files.map(\.path), [
            "_workspace/shared/__init__.py", "_workspace/shared/sibling.py", "_workspace/shared/tools.py", "local_mod.py", "s.py",
        ])
        XCTAssertEqual(CodeCapture.pythonPath(codeDir: ws + "/run/code"), ws + "/run/code/_workspace")
    }

    func testRecaptureCopiesTheOriginalCodeVerbatim() {
        let strategy = TestSupport.multifileCopy(self)
        let runs = TestFiles.makeTempDir(self)
        let first = CodeCapture.capture(entry: strategy + "/main.py", workspaceRoot: PathText.parent(strategy), codeDir: runs + "/a/code")
        TestFiles.write("diff", to: runs + "/a/code/git.diff")
        // Today's tree changes; the rerun must not see it.
        TestFiles.write("print('changed')\n", to: strategy + "/main.py")
        let again = CodeCapture.recapture(fromCodeDir: runs + "/a/code", mode: first.mode, entry: first.entry, codeDir: runs + "/b/code")
        XCTAssertEqual(again.files, first.files)
        XCTAssertEqual(again.mode, .manifest)
        XCTAssertEqual(again.entry, "main.py")
        XCTAssertEqual(FileSystem.kind(runs + "/b/code/git.diff"), .missing)
    }

    func testMissingScript() {
        let result = CodeCapture.capture(entry: "/nonexistent/x.py", workspaceRoot: "/nonexistent", codeDir: "/tmp/never")
        XCTAssertTrue(result.files.isEmpty)
        XCTAssertEqual(result.warnings.count, 1)
    }
}
