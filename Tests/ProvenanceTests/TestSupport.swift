import Base
import Glibc
import TestSupport
import XCTest

@testable import Provenance

/// The provenance tests' own fixture helper (files and commands: `TestFiles`).
enum TestSupport {
    /// A copy of the multifile strategy in a temp folder (the fixtures themselves are never written to).
    static func multifileCopy(_ test: XCTestCase) -> String {
        let root = TestFiles.makeTempDir(test, "multifile")
        TestFiles.sh("cp -R '\(TestPaths.fixtures)/scripts/multifile' '\(root)/strategy'")
        return root + "/strategy"
    }
}
