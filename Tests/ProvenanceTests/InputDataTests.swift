import TestSupport
import XCTest

@testable import Provenance

final class InputDataTests: XCTestCase {
    func testFilesAndFoldersWithWarnings() {
        let ws = TestFiles.makeTempDir(self)
        TestFiles.write("a,b\n1,2\n", to: ws + "/data/prices.csv")
        TestFiles.write("x", to: ws + "/data/more/z.txt")
        TestFiles.write("y", to: ws + "/data/more/a.txt")
        let outside = TestFiles.makeTempDir(self)
        TestFiles.write("o", to: outside + "/o.bin")
        let (files, warnings) = InputData.describe(paths: ["data/prices.csv", ws + "/data/more", outside + "/o.bin", "missing.csv"],
                                                   relativeTo: ws)
        XCTAssertEqual(files.map(\.path), ["data/prices.csv", "data/more/a.txt", "data/more/z.txt", outside + "/o.bin"])
        XCTAssertEqual(files[0].size, 8)
        XCTAssertEqual(files[0].sha256, String(TestFiles.sh("sha256sum '\(ws)/data/prices.csv'").prefix(64)))
        XCTAssertEqual(warnings, ["input missing.csv: not found"])
    }

    func testDifferentDataGivesDifferentHashes() {
        let ws = TestFiles.makeTempDir(self)
        TestFiles.write("1\n", to: ws + "/d.csv")
        let first = InputData.describe(paths: ["d.csv"], relativeTo: ws).files
        TestFiles.write("2\n", to: ws + "/d.csv")
        let second = InputData.describe(paths: ["d.csv"], relativeTo: ws).files
        XCTAssertNotEqual(first, second)
    }
}
