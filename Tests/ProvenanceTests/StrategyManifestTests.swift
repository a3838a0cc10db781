import TestSupport
import XCTest

@testable import Provenance

final class StrategyManifestTests: XCTestCase {
    func testBlockListWithComments() {
        let yaml = """
        # header comment
        name: demo   # trailing comment
        entry: main.py
        files:
          - main.py
          # a comment between items
          - "utils/helpers.py"
          - 'quoted file.py'   # comment after an item
          - data#1.csv
        other:
          - not_a_file.py
        """
        let doc = StrategyManifest.parseDocument(yaml: yaml)
        XCTAssertEqual(doc.entry, "main.py")
        XCTAssertEqual(doc.files, ["main.py", "utils/helpers.py", "quoted file.py", "data#1.csv"])
    }

    func testFlowListAndUnindentedItems() {
        XCTAssertEqual(StrategyManifest.parse(yaml: "files: [a.py, 'b/c.py' , d.json]\n"), ["a.py", "b/c.py", "d.json"])
        XCTAssertEqual(StrategyManifest.parse(yaml: "files:\n- a.py\n- b.py\nname: x\n"), ["a.py", "b.py"])
    }

    func testTheFixtureManifest() throws {
        let yaml = try XCTUnwrap(TestFiles.read(TestPaths.fixtures + "/scripts/multifile/strategy.yaml"))
        XCTAssertEqual(StrategyManifest.parse(yaml: yaml),
                       ["main.py", "utils/__init__.py", "utils/indicators.py", "utils/helpers.py", "config/params.json"])
    }

    func testNoFilesKey() {
        XCTAssertEqual(StrategyManifest.parse(yaml: "name: x\nentry: y.py\n"), [])
    }
}
