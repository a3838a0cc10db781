@testable import BacktestCore
import XCTest

/// The search language's texts (docs/search.md): what they parse into, and where and why the others fail.
final class RunFilterParserTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> RunFilter? {
        do { return try RunFilter.parse(text) } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
            return nil
        }
    }

    /// The error a text gives, checked for its position and (part of) what it expected.
    private func assertError(_ text: String, at position: Int, expecting: String, got: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            let f = try RunFilter.parse(text)
            XCTFail("\(text) parsed as \(String(describing: f))", file: file, line: line)
        } catch {
            XCTAssertEqual(error.field, "where", file: file, line: line)
            XCTAssertEqual(error.position, position, "\(text): \(error)", file: file, line: line)
            XCTAssertTrue(error.expected.contains(expecting), "\(text): \(error)", file: file, line: line)
            if let got { XCTAssertEqual(error.got, got, file: file, line: line) }
        }
    }

    func testTheExampleOfTheIssue() {
        XCTAssertEqual(parse(#"metrics.sharpe > 1 and params.fast = 10 and status = "completed" and tags.nightly"#),
                       .all([.compare(.metric("sharpe"), .greater, .number(1)),
                             .compare(.param("fast"), .equal, .number(10)),
                             .compare(.status, .equal, .string("completed")),
                             .hasTag("nightly")]))
    }

    func testEveryOperatorAndField() {
        let ops: [(String, RunFilter.Comparison)] = [("=", .equal), ("!=", .notEqual), ("<", .less), ("<=", .lessOrEqual),
                                                     (">", .greater), (">=", .greaterOrEqual)]
        for (text, op) in ops {
            XCTAssertEqual(parse("summary.trades\(text)-2.5e3"), .compare(.summary("trades"), op, .number(-2500)))
        }
        XCTAssertEqual(parse("script = 'a/b.py'"), .compare(.script, .equal, .string("a/b.py")))
        XCTAssertEqual(parse("run_id < \"20260101\""), .compare(.runID, .less, .string("20260101")))
        XCTAssertEqual(parse("sweep_id = 's1'"), .compare(.sweepID, .equal, .string("s1")))
        XCTAssertEqual(parse("cached_from != null"), .compare(.cachedFrom, .notEqual, .null))
        XCTAssertEqual(parse("profile = 'none'"), .compare(.profile, .equal, .string("none")))
        XCTAssertEqual(parse("created_at >= '2026-11-21'"), .compare(.createdAt, .greaterOrEqual, .string("2026-11-21")))
        XCTAssertEqual(parse("params.x = .5"), .compare(.param("x"), .equal, .number(0.5)))
        XCTAssertEqual(parse("params.flag = TRUE"), .compare(.param("flag"), .equal, .bool(true)))
    }

    func testAndBindsTighterThanOrAndParenthesesGroup() {
        let a = RunFilter.compare(.param("a"), .equal, .number(1))
        let b = RunFilter.compare(.param("b"), .equal, .number(2))
        let c = RunFilter.compare(.param("c"), .equal, .number(3))
        XCTAssertEqual(parse("params.a = 1 or params.b = 2 and params.c = 3"), .any([a, .all([b, c])]))
        XCTAssertEqual(parse("params.a = 1 and params.b = 2 or params.c = 3"), .any([.all([a, b]), c]))
        XCTAssertEqual(parse("(params.a = 1 or params.b = 2) and params.c = 3"), .all([.any([a, b]), c]))
        XCTAssertEqual(parse("((params.a = 1))"), a)
        XCTAssertEqual(parse("params.a = 1 AND params.b = 2 Or params.c = 3"), .any([.all([a, b]), c]), "keywords in any case")
    }

    func testInLists() {
        XCTAssertEqual(parse("params.fast in (10, 20.5, 'x', true, null)"),
                       .oneOf(.param("fast"), [.number(10), .number(20.5), .string("x"), .bool(true), .null]))
        XCTAssertEqual(parse("status IN ('failed','cancelled')"), .oneOf(.status, [.string("failed"), .string("cancelled")]))
        XCTAssertEqual(parse("params.x in(1)"), .oneOf(.param("x"), [.number(1)]))
    }

    func testQuotingAndNames() {
        XCTAssertEqual(parse(#"params.name = "say \"hi\"""#), .compare(.param("name"), .equal, .string(#"say "hi""#)))
        XCTAssertEqual(parse(#"params.name = 'it\'s \\ here'"#), .compare(.param("name"), .equal, .string(#"it's \ here"#)))
        XCTAssertEqual(parse(#"params.name = "it's""#), .compare(.param("name"), .equal, .string("it's")))
        XCTAssertEqual(parse("params.`odd name.x` = 1"), .compare(.param("odd name.x"), .equal, .number(1)))
        XCTAssertEqual(parse("params.`a``b` = 1"), .compare(.param("a`b"), .equal, .number(1)))
        XCTAssertEqual(parse("metrics.max-drawdown_2 < 0.2"), .compare(.metric("max-drawdown_2"), .less, .number(0.2)))
        XCTAssertEqual(parse("params.1st = 1"), .compare(.param("1st"), .equal, .number(1)))
        XCTAssertEqual(parse("params.höhe=1"), .compare(.param("höhe"), .equal, .number(1)))
        XCTAssertEqual(parse("tags.`v1.2`"), .hasTag("v1.2"))
        XCTAssertEqual(parse("tags.nightly-run and tags.x"), .all([.hasTag("nightly-run"), .hasTag("x")]))
    }

    func testBlankIsNoFilter() {
        XCTAssertNil(parse(""))
        XCTAssertNil(parse("  \t\n"))
    }

    func testErrorsSayWhereAndWhat() {
        assertError("metrics.sharpe >> 1", at: 16, expecting: "a value", got: ">")
        assertError("params.fast = ", at: 14, expecting: "a value", got: "end of input")
        assertError("params. = 1", at: 7, expecting: "a name after params.", got: " ")
        assertError("params.", at: 7, expecting: "a name", got: "end of input")
        assertError("param.fast = 1", at: 0, expecting: "a field", got: "param.fast")
        assertError("params.fast 10", at: 12, expecting: "an operator", got: "10")
        assertError("params.fast = 1 params.slow = 2", at: 16, expecting: "and, or", got: "params.slow")
        assertError("params.fast = 1 & params.slow = 2", at: 16, expecting: "and, or", got: "&")
        assertError("params.fast = 1 and", at: 19, expecting: "a field", got: "end of input")
        assertError("params.x = \"abc", at: 11, expecting: "a closing \"", got: "end of input")
        assertError("params.`abc = 1", at: 7, expecting: "a closing `", got: "end of input")
        assertError("params.x = 10abc", at: 11, expecting: "a number", got: "10abc")
        assertError("params.x = 1e999", at: 11, expecting: "a number")
        assertError("(params.x = 1", at: 13, expecting: "a )", got: "end of input")
        assertError("params.x = 1)", at: 12, expecting: "and, or", got: ")")
        assertError("params.x in 1", at: 12, expecting: "a ( starting", got: "1")
        assertError("params.x in (1, 2", at: 17, expecting: "a , or a )", got: "end of input")
        assertError("params.x in ()", at: 13, expecting: "a value", got: ")")
        assertError("params.x < true", at: 11, expecting: "a number or a string", got: "true")
        assertError("params.x >= null", at: 12, expecting: "a number or a string", got: "null")
        assertError("status > 'failed'", at: 7, expecting: "statuses have no order", got: ">")
        assertError("status = 'done'", at: 9, expecting: "a status in quotes", got: "'done'")
        assertError("status in ('failed', 3)", at: 21, expecting: "a status", got: "3")
        assertError("script = 3", at: 9, expecting: "a string")
        assertError("created_at > 'yesterday'", at: 13, expecting: "an ISO 8601 time", got: "'yesterday'")
        assertError("tags.x = 1", at: 7, expecting: "and, or", got: "=")
        assertError("params.x = yes", at: 11, expecting: "a value", got: "yes")
        // Positions count code points: é is one, whatever its UTF-8 length.
        assertError("params.é = 'ü' and", at: 18, expecting: "a field", got: "end of input")
    }

    func testOrderBy() throws {
        XCTAssertEqual(try RunOrder.parse("metrics.sharpe desc"), RunOrder([.init(.metric("sharpe"), descending: true)]))
        XCTAssertEqual(try RunOrder.parse("params.fast ASC, created_at"),
                       RunOrder([.init(.param("fast")), .init(.createdAt)]))
        XCTAssertEqual(try RunOrder.parse("status,script desc"), RunOrder([.init(.status), .init(.script, descending: true)]))
        XCTAssertNil(try RunOrder.parse(" "))
        func error(_ text: String) -> SearchSyntaxError? {
            do { _ = try RunOrder.parse(text); return nil } catch { return error }
        }
        XCTAssertEqual(error("metrics.sharpe down"),
                       SearchSyntaxError(field: "order_by", position: 15, expected: "asc, desc, a , or the end", got: "down"))
        XCTAssertEqual(error("tags.x")?.position, 0)
        XCTAssertEqual(error("params.a,")?.got, "end of input")
        XCTAssertEqual(error("params.a, params.b, params.c, params.d, params.e")?.position, 40)
        XCTAssertEqual(error("metrics.sharpe desc desc")?.position, 20)
    }
}
