import JSON
import XCTest

final class JSONParserTests: XCTestCase {
    func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(s) }

    func testScalarsAndContainers() throws {
        XCTAssertEqual(try parse(" null "), .null)
        XCTAssertEqual(try parse("true"), true)
        XCTAssertEqual(try parse("false"), false)
        XCTAssertEqual(try parse("\"x\""), "x")
        XCTAssertEqual(try parse("[1, [2], {}]"), [1, [2], [:]])
        XCTAssertEqual(try parse("{\"a\":{\"b\":[null]}}"), ["a": ["b": [nil]]])
    }

    func testObjectsKeepOrderAndLastDuplicateWins() throws {
        let v = try parse("{\"z\":1,\"a\":2,\"z\":3}")
        XCTAssertEqual(v.objectValue?.keys, ["z", "a"])
        XCTAssertEqual(v["z"], 3)
    }

    func testDuplicatesInLargeObjectsAndNoQuadraticBlowUp() throws {
        var text = "{"
        for i in 0..<50_000 { text += "\"k\(i)\":\(i)," }
        text += "\"k7\":\"again\",\"k49999\":\"last\"}"
        let start = Date()
        let v = try parse(text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "a 50,000-member object must parse in linear time")
        XCTAssertEqual(v.objectValue?.count, 50_000)
        XCTAssertEqual(v["k7"], "again")
        XCTAssertEqual(v["k49999"], "last")
        XCTAssertEqual(v.objectValue?.keys.first, "k0")
    }

    func testNumbers() throws {
        XCTAssertEqual(try parse("0"), .int(0))
        XCTAssertEqual(try parse("-0"), .int(0))
        XCTAssertEqual(try parse("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(try parse("-9223372036854775808"), .int(Int64.min))
        XCTAssertEqual(try parse("9223372036854775808"), .double(9223372036854775808))
        XCTAssertEqual(try parse("1.5"), .double(1.5))
        XCTAssertEqual(try parse("5.0"), .double(5))
        XCTAssertEqual(try parse("-2.5e3"), .double(-2500))
        XCTAssertEqual(try parse("1E+2"), .double(100))
        for bad in ["01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "-01"] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }

    func testStringsEscapesAndUnicode() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        XCTAssertEqual(try parse(#""\u20ac \u00fc""#), "€ ü")
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), "😀", "surrogate pair")
        XCTAssertEqual(try parse(#""\ud83d x""#), "\u{FFFD} x", "lone high surrogate is replaced")
        XCTAssertEqual(try parse(#""\ude00""#), "\u{FFFD}", "lone low surrogate is replaced")
        XCTAssertEqual(try parse("\"€😀 raw UTF-8\""), "€😀 raw UTF-8")
        for bad in ["\"abc", "\"a\nb\"", #""\x""#, #""\u12""#, #""\u12G4""#] {
            XCTAssertThrowsError(try parse(bad), bad)
        }
    }

    func testErrorsCarryAnOffset() {
        XCTAssertThrowsError(try parse("{\"a\":1,}")) { e in
            XCTAssertEqual((e as? JSONParseError)?.offset, 7)
        }
        XCTAssertThrowsError(try parse("[1] x")) { e in
            XCTAssertEqual((e as? JSONParseError)?.reason, "unexpected data after the JSON value")
        }
        XCTAssertThrowsError(try parse("")) { e in
            XCTAssertEqual((e as? JSONParseError)?.offset, 0)
        }
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: JSONParser.maxDepth + 1)
        XCTAssertThrowsError(try parse(deep)) { e in
            XCTAssertEqual((e as? JSONParseError)?.reason, "nesting too deep")
        }
    }
}

final class JSONWriterTests: XCTestCase {
    func testCompactOutputKeepsInsertionOrder() {
        let v: JSONValue = ["run_id": "x", "a": [1, 2.5, nil, true], "z": [:]]
        XCTAssertEqual(JSONWriter.string(v), #"{"run_id":"x","a":[1,2.5,null,true],"z":{}}"#)
    }

    func testEscaping() {
        XCTAssertEqual(JSONWriter.string("a\"b\\c/d\n\r\t\u{1}\u{1f}€😀"), #""a\"b\\c/d\n\r\t\u0001\u001f€😀""#)
    }

    func testDoubles() {
        XCTAssertEqual(JSONWriter.string(.double(5)), "5.0")
        XCTAssertEqual(JSONWriter.string(.double(-0.0)), "-0.0")
        XCTAssertEqual(JSONWriter.string(.double(0.1)), "0.1")
        XCTAssertEqual(JSONWriter.string(.double(.nan)), "null")
        XCTAssertEqual(JSONWriter.string(.double(.infinity)), "null")
        XCTAssertEqual(JSONWriter.string(.int(Int64.min)), "-9223372036854775808")
    }

    func testRoundTrip() throws {
        let v: JSONValue = ["s": "€ \"q\" \n 😀", "i": .int(-42), "d": 1e-7, "big": 1.5e300, "neg0": .double(-0.0),
                            "arr": [[], [:], nil, false], "nested": ["k": ["k": ["k": "v"]]]]
        let back = try JSONParser.parse(JSONWriter.encode(v))
        XCTAssertEqual(back, v)
        XCTAssertEqual(JSONWriter.encode(back), JSONWriter.encode(v), "byte-identical re-encoding")
    }

    func testPretty() {
        let text = String(decoding: JSONWriter.pretty(["a": [1], "b": [:]]), as: UTF8.self)
        XCTAssertEqual(text, "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}\n")
    }

    /// Members appended to an object already rendered: the very bytes of rendering the whole object.
    func testPrettyExtendingARenderedObject() throws {
        let start: JSONObject = ["a": [1, ["x": "y"]], "b": [:], "c": "é\n"]
        let more: [(String, JSONValue)] = [("d", ["e": [true, .null], "f": []]), ("g", 2.5), ("h", [[1], [:]])]
        var whole = start
        for (k, v) in more { whole[k] = v }
        let extended = try XCTUnwrap(JSONWriter.pretty(extending: JSONWriter.pretty(.object(start)), with: more))
        XCTAssertEqual(String(decoding: extended, as: UTF8.self), String(decoding: JSONWriter.pretty(.object(whole)), as: UTF8.self))
        XCTAssertEqual(JSONWriter.pretty(extending: JSONWriter.pretty(.object(start)), with: []), JSONWriter.pretty(.object(start)))
        // Not an object as `pretty` writes it: nothing to extend.
        XCTAssertNil(JSONWriter.pretty(extending: JSONWriter.pretty([:]), with: more))
        XCTAssertNil(JSONWriter.pretty(extending: JSONWriter.pretty([1, 2]), with: more))
        XCTAssertNil(JSONWriter.pretty(extending: Array(#"{"a":1}"#.utf8), with: more))
    }
}

final class JSONValueTests: XCTestCase {
    func testLookups() {
        let v: JSONValue = ["runs": [["run_id": "a"], ["run_id": "b"]], "n": 5.0]
        XCTAssertEqual(v["runs"][1]["run_id"], "b")
        XCTAssertEqual(v["runs"][2], .null)
        XCTAssertEqual(v["runs"][-1], .null)
        XCTAssertEqual(v["n"][0], .null)
        XCTAssertEqual(v["missing"]["deeper"], .null)
        XCTAssertEqual(v["n"].intValue, 5)
        XCTAssertNil(JSONValue.double(5.5).intValue)
        XCTAssertEqual(v.typeName, "object")
    }

    func testObjectEqualityIgnoresOrderButWritingKeepsIt() {
        let a: JSONObject = ["x": 1, "y": 2]
        let b: JSONObject = ["y": 2, "x": 1]
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        XCTAssertNotEqual(JSONWriter.string(.object(a)), JSONWriter.string(.object(b)))
        var c = a
        c["x"] = nil
        XCTAssertEqual(c.keys, ["y"])
        c["y"] = 3
        XCTAssertEqual(c.keys, ["y"])
    }
}
