import XCTest

@testable import Provenance

final class PythonImportsTests: XCTestCase {
    private func modules(_ source: String) -> [String] {
        PythonImports.scan(source: source).map { String(repeating: ".", count: $0.level) + $0.module }
    }

    func testEveryImportForm() {
        let source = #"""
        import a.b
        import c as d, e.f as g, h
        from i import j
        from . import x
        from .m import y
        from ..pkg.mod import (
            alpha,
            beta as b2,  # a comment inside the parentheses
        )
        from k import \
            l
        import n, \
            o.p
        def f():
            import inside_function
            if True:
                from inside_if import q
        try:
            import in_try
        except ImportError:
            import in_except
        import semi1; import semi2
        if x: import after_colon
        from .... import far
        from q.r import *
        """#
        XCTAssertEqual(modules(source), [
            "a.b", "c", "e.f", "h", "i", ".", ".m", "..pkg.mod", "k", "n", "o.p", "inside_function", "inside_if",
            "in_try", "in_except", "semi1", "semi2", "after_colon", "....", "q.r",
        ])
        let statements = PythonImports.scan(source: source)
        let multi = statements.first { $0.module == "pkg.mod" }
        XCTAssertEqual(multi?.level, 2)
        XCTAssertEqual(multi?.names, ["alpha", "beta"])
        XCTAssertEqual(multi?.line, 6)
        XCTAssertEqual(statements.first { $0.level == 1 && $0.module.isEmpty }?.names, ["x"])
        XCTAssertEqual(statements.first { $0.module == "k" }?.names, ["l"])
        XCTAssertEqual(statements.first { $0.module == "q.r" }?.names, ["*"])
    }

    func testImportsInStringsAndCommentsAreIgnored() {
        let source = #"""
        # import commented
        x = "import in_double"
        y = 'from in_single import z'
        doc = """
        import in_triple
        from in_triple2 import w
        """
        doc2 = '''
        import in_triple_single
        '''
        raw = r"\" import in_raw"
        b = rb'import in_bytes'
        f = f"{value!r} import in_fstring {'nested'} {x["key"]} import still_string"
        ff = f'''
        import in_triple_fstring {a + f"{b}"}
        '''
        s = "escaped \" import in_escaped"
        spec = f"{x:'>10} import in_spec {y:{width}.{prec}} {z!r:^{w}}"
        t = "line continued \
        import in_continued_string"
        import real_one  # import commented_after
        """#
        XCTAssertEqual(modules(source), ["real_one"])
    }

    func testKeywordsThatAreNotImports() {
        let source = """
        def gen():
            yield from other()
        raise ValueError("x") from err
        importer = 1
        from_x = importlib.import_module("dynamic")
        obj.import_ = 3
        """
        XCTAssertEqual(modules(source), [])
    }

    func testByteOrderMarkAndCRLF() {
        XCTAssertEqual(modules("\u{FEFF}import a\r\nfrom b import (c,\r\n d)\r\nimport e\r\n"), ["a", "b", "e"])
    }
}
