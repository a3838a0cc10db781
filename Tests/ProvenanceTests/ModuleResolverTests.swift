import TestSupport
import XCTest

@testable import Provenance

final class ModuleResolverTests: XCTestCase {
    private func names(_ entry: String, _ paths: [String]) -> [String] {
        ModuleResolver.localModules(entry: entry, searchPaths: paths).map(\.name)
    }

    func testPackagesRelativeImportsAndParents() {
        let root = TestFiles.makeTempDir(self)
        TestFiles.write("import a.b.c\nfrom d import e\nfrom f import g\nimport numpy\nimport os.path\n", to: root + "/main.py")
        TestFiles.write("", to: root + "/a/__init__.py")
        TestFiles.write("from .. import sibling\n", to: root + "/a/b/__init__.py")  // beyond a's package? no: a.b → a
        TestFiles.write("from ..x import y\nfrom ... import too_far\n", to: root + "/a/b/c.py")
        TestFiles.write("", to: root + "/a/sibling.py")
        TestFiles.write("", to: root + "/a/x.py")
        TestFiles.write("", to: root + "/d/__init__.py")
        TestFiles.write("", to: root + "/d/e.py")  // a submodule imported by `from d import e`
        TestFiles.write("g = 1\n", to: root + "/f.py")
        TestFiles.write("", to: root + "/unused.py")
        XCTAssertEqual(names(root + "/main.py", [root]), ["__main__", "a", "a.b", "a.b.c", "d", "d.e", "f", "a.sibling", "a.x"])
    }

    func testNamespacePackagesAndShadowing() {
        let root = TestFiles.makeTempDir(self)
        let ws = TestFiles.makeTempDir(self)
        TestFiles.write("import ns.mod\nimport shadow\nimport lib\n", to: root + "/main.py")
        TestFiles.write("", to: root + "/ns/mod.py")  // no __init__: a namespace package
        TestFiles.write("", to: root + "/shadow/readme.txt")  // a bare directory...
        TestFiles.write("", to: ws + "/shadow.py")  // ...loses to a real module later on the path
        TestFiles.write("", to: root + "/lib.py")  // the script's folder comes first
        TestFiles.write("", to: ws + "/lib.py")
        let found = ModuleResolver.localModules(entry: root + "/main.py", searchPaths: [root, ws])
        XCTAssertEqual(found.map(\.name), ["__main__", "ns.mod", "shadow", "lib"])
        XCTAssertEqual(found.map(\.path), [root + "/main.py", root + "/ns/mod.py", ws + "/shadow.py", root + "/lib.py"])
    }

    func testCyclesTerminate() {
        let root = TestFiles.makeTempDir(self)
        TestFiles.write("import p\n", to: root + "/main.py")
        TestFiles.write("from . import q\n", to: root + "/p/__init__.py")
        TestFiles.write("from p import q, r\nimport p\n", to: root + "/p/q.py")
        TestFiles.write("import main\n", to: root + "/p/r.py")
        // p.r imports the entry script by name: the same file, captured once.
        XCTAssertEqual(names(root + "/main.py", [root]), ["__main__", "p", "p.q", "p.r"])
    }

    func testResolveOne() {
        let root = TestFiles.makeTempDir(self)
        TestFiles.write("", to: root + "/pkg/__init__.py")
        TestFiles.write("", to: root + "/pkg/ext.cpython-311-x86_64-linux-gnu.so")
        TestFiles.write("", to: root + "/pkg/ext.py")
        XCTAssertEqual(ModuleResolver.resolve(module: "pkg.ext", searchPaths: [root])?.path,
                       root + "/pkg/ext.cpython-311-x86_64-linux-gnu.so")
        XCTAssertNil(ModuleResolver.resolve(module: "json", searchPaths: [root]))
    }
}
