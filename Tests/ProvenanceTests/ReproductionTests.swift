import TestSupport
import XCTest

@testable import Provenance

final class ReproductionTests: XCTestCase {
    func testIdenticalAndDiffering() {
        let a = [CapturedFile(path: "pnl.csv", size: 3, sha256: "aa"), CapturedFile(path: "trades.csv", size: 4, sha256: "bb"),
                 CapturedFile(path: "old.txt", size: 1, sha256: "cc")]
        XCTAssertTrue(Reproduction.compare(original: a, rerun: a).identical)
        let b = [CapturedFile(path: "trades.csv", size: 4, sha256: "bb"), CapturedFile(path: "pnl.csv", size: 3, sha256: "a0"),
                 CapturedFile(path: "new.txt", size: 1, sha256: "dd")]
        let check = Reproduction.compare(original: a, rerun: b)
        XCTAssertFalse(check.identical)
        XCTAssertEqual(check.differing, ["pnl.csv"])
        XCTAssertEqual(check.onlyInOriginal, ["old.txt"])
        XCTAssertEqual(check.onlyInRerun, ["new.txt"])
        XCTAssertEqual(check.json()["differing"], ["pnl.csv"])
    }

    /// Per-file verdicts with both hashes; ignored files and JSON keys leave the verdict identical.
    func testRulesIgnoreFilesAndJSONKeys() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("same", to: dir + "/a/stable.txt")
        TestFiles.write("same", to: dir + "/b/stable.txt")
        TestFiles.write("1", to: dir + "/a/logs/clock.txt")
        TestFiles.write("2", to: dir + "/b/logs/clock.txt")
        TestFiles.write(#"{"s": 1, "execution_timestamp": 1, "inner": [{"execution_timestamp": 3}]}"#, to: dir + "/a/metadata.json")
        TestFiles.write(#"{"execution_timestamp": 2, "s": 1, "inner": [{"execution_timestamp": 4}]}"#, to: dir + "/b/metadata.json")
        TestFiles.write(#"{"s": 1}"#, to: dir + "/a/other.json")
        TestFiles.write(#"{"s": 2}"#, to: dir + "/b/other.json")
        let a = ResultHashes.hashAll(resultsDir: dir + "/a"), b = ResultHashes.hashAll(resultsDir: dir + "/b")
        let rules = ReproductionRules(ignoreFiles: ["logs/*"], ignoreJSONKeys: ["metadata.json": ["execution_timestamp"],
                                                                                "other.json": ["t"]])
        let check = Reproduction.compare(original: a, rerun: b, rules: rules, originalResults: dir + "/a", rerunResults: dir + "/b")
        XCTAssertFalse(check.identical)
        XCTAssertEqual(check.differing, ["other.json"])
        XCTAssertEqual(check.ignored, ["logs/clock.txt", "metadata.json"])
        XCTAssertEqual(check.files.map(\.verdict), [.ignored, .equivalent, .differing, .identical])
        XCTAssertEqual(check.files[3].originalSHA256, check.files[3].rerunSHA256)
        XCTAssertNotNil(check.files[3].originalSHA256)
        XCTAssertEqual(check.json()["files"][1]["verdict"], "equivalent")
        let lenient = ReproductionRules(ignoreFiles: ["logs/*", "other.json"], ignoreJSONKeys: rules.ignoreJSONKeys)
        XCTAssertTrue(Reproduction.compare(original: a, rerun: b, rules: lenient, originalResults: dir + "/a",
                                           rerunResults: dir + "/b").identical)
        // Only in one run: no hash on the other side.
        let missing = Reproduction.compare(original: a, rerun: Array(b.dropLast()))
        XCTAssertEqual(missing.files.last?.verdict, .onlyInOriginal)
        XCTAssertEqual(missing.files.last?.rerunSHA256, nil)
    }

    func testResultHashesRecursiveSortedWithoutReports() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("b", to: dir + "/b.csv")
        TestFiles.write("a", to: dir + "/a.csv")
        TestFiles.write("n", to: dir + "/sub/n.txt")
        TestFiles.write("<html></html>", to: dir + "/reports/report.html")
        let files = ResultHashes.hashAll(resultsDir: dir)
        XCTAssertEqual(files.map(\.path), ["a.csv", "b.csv", "sub/n.txt"])
        XCTAssertEqual(files[0].sha256, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")  // sha256("a")
    }

    /// The full round trip: two runs of a deterministic script hash the same; a run that writes the clock
    /// differs in exactly that file.
    func testRerunsOfDeterministicAndClockScripts() {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("import sys, time\nopen(sys.argv[1] + '/fixed.csv', 'w').write('a,b\\n1,2\\n')\n"
                          + "if len(sys.argv) > 2: open(sys.argv[1] + '/clock.txt', 'w').write(repr(time.time_ns()))\n",
                          to: dir + "/s.py")
        func run(_ name: String, clock: Bool) -> [CapturedFile] {
            TestFiles.sh("mkdir -p '\(dir)/\(name)' && python3 '\(dir)/s.py' '\(dir)/\(name)' \(clock ? "clock" : "")")
            return ResultHashes.hashAll(resultsDir: dir + "/" + name)
        }
        XCTAssertTrue(Reproduction.compare(original: run("a", clock: false), rerun: run("b", clock: false)).identical)
        let check = Reproduction.compare(original: run("c", clock: true), rerun: run("d", clock: true))
        XCTAssertFalse(check.identical)
        XCTAssertEqual(check.differing, ["clock.txt"])
    }
}
