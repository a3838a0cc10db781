import TestSupport
import XCTest

@testable import Provenance

final class GitInfoTests: XCTestCase {
    private func makeRepo() -> String {
        let repo = TestFiles.makeTempDir(self, "gitrepo")
        TestFiles.write("print('v1')\n", to: repo + "/strategies/s.py")
        TestFiles.write("x\n", to: repo + "/README")
        TestFiles.sh("git init -q -b main . && git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m init", in: repo)
        return repo
    }

    func testCleanCheckout() throws {
        let repo = makeRepo()
        let info = try XCTUnwrap(GitInfo.collect(directory: repo + "/strategies"))
        XCTAssertEqual(info.branch, "main")
        XCTAssertEqual(info.commit, TestFiles.sh("git rev-parse HEAD", in: repo).trimmingNewlines())
        XCTAssertEqual(info.commit?.count, 40)
        XCTAssertFalse(info.dirty)
        XCTAssertNil(info.diff)
        XCTAssertNil(try info.saveDiff(codeDir: repo + "/code"))
        XCTAssertEqual(info.json()["dirty"], .bool(false))
    }

    func testDirtyCheckoutHasDiffAndSavesIt() throws {
        let repo = makeRepo()
        TestFiles.write("print('v2 uncommitted')\n", to: repo + "/strategies/s.py")
        TestFiles.write("new\n", to: repo + "/strategies/untracked.py")
        let info = try XCTUnwrap(GitInfo.collect(directory: repo + "/strategies"))
        XCTAssertTrue(info.dirty)
        let diff = try XCTUnwrap(info.diff)
        XCTAssertTrue(diff.contains("-print('v1')"), diff)
        XCTAssertTrue(diff.contains("+print('v2 uncommitted')"), diff)
        XCTAssertEqual(info.untracked, ["strategies/untracked.py"])
        let codeDir = TestFiles.makeTempDir(self) + "/code"
        let saved = try XCTUnwrap(try info.saveDiff(codeDir: codeDir))
        XCTAssertEqual(saved, codeDir + "/git.diff")
        XCTAssertEqual(TestFiles.read(saved), diff)
        XCTAssertEqual(info.json()["diff_file"], .string("code/git.diff"))
    }

    func testOnlyUntrackedIsDirtyWithEmptyDiff() throws {
        let repo = makeRepo()
        TestFiles.write("new\n", to: repo + "/extra.py")
        let info = try XCTUnwrap(GitInfo.collect(directory: repo))
        XCTAssertTrue(info.dirty)
        XCTAssertEqual(info.diff, "")
        XCTAssertEqual(info.untracked, ["extra.py"])
    }

    func testRunsFolderIsExcluded() throws {
        let repo = makeRepo()
        TestFiles.write("out\n", to: repo + "/backtests/r1/results/trades.csv")
        XCTAssertEqual(GitInfo.collect(directory: repo)?.untracked, ["backtests/"])
        let info = try XCTUnwrap(GitInfo.collect(directory: repo + "/strategies", excluding: [repo + "/backtests"]))
        XCTAssertFalse(info.dirty, "\(info)")
        TestFiles.write("print('v3')\n", to: repo + "/strategies/s.py")
        let dirty = try XCTUnwrap(GitInfo.collect(directory: repo + "/strategies", excluding: [repo + "/backtests"]))
        XCTAssertTrue(dirty.dirty)
        XCTAssertEqual(dirty.untracked, [])
        XCTAssertTrue(dirty.diff?.contains("+print('v3')") ?? false)
    }

    func testDetachedHeadHasNoBranch() throws {
        let repo = makeRepo()
        TestFiles.sh("git checkout -q --detach HEAD", in: repo)
        let info = try XCTUnwrap(GitInfo.collect(directory: repo))
        XCTAssertNil(info.branch)
        XCTAssertNotNil(info.commit)
    }

    func testNotARepository() {
        XCTAssertNil(GitInfo.collect(directory: TestFiles.makeTempDir(self)))
    }
}
