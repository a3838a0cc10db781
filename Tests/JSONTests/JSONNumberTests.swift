import JSON
import XCTest

/// Numbers as written: `JSONParser.parse(_:keepingNumberText: true)` keeps the literal of every number that
/// `.int` cannot spell back the same, and nothing else about the value changes.
final class JSONNumberTests: XCTestCase {
    func keep(_ s: String) throws -> JSONValue { try JSONParser.parse(s, keepingNumberText: true) }

    func testLiteralsAreKeptExactly() throws {
        for text in ["1.5", "1.50", "2e3", "1E+2", "-2.5e-3", "-0", "-0.0", "0.10", "18446744073709551616",
                     "-9223372036854775809", "1e400", "123456789012345678901234567890"] {
            let v = try keep(text)
            guard case .number(let n) = v else { return XCTFail("\(text) read as \(v)") }
            XCTAssertEqual(n.text, text)
            XCTAssertEqual(v.numberText, text)
            XCTAssertEqual(JSONWriter.string(v, numbersAsWritten: true), text)
        }
    }

    func testPlainIntegersStayInts() throws {
        // The hot path: ids and counts are `.int`, exactly as without the option.
        XCTAssertEqual(try keep("42"), .int(42))
        if case .int = try keep("-9223372036854775808") {} else { XCTFail("Int64.min is an int") }
        if case .int = try keep("9223372036854775807") {} else { XCTFail("Int64.max is an int") }
        XCTAssertEqual(try keep("[7,-7]").arrayValue?.map(\.numberText), ["7", "-7"])
    }

    func testAKeptNumberBehavesAsItsValue() throws {
        XCTAssertEqual(try keep("1.50"), .double(1.5))
        XCTAssertEqual(try keep("2e3"), .double(2000))
        XCTAssertEqual(try keep("-0"), .int(0), "-0 is the integer 0 to the plain reader")
        XCTAssertNotEqual(try keep("2e3"), .int(2000), "as without the option, 2e3 is a double")
        XCTAssertEqual(try keep("18446744073709551616"), .double(18446744073709551616))
        XCTAssertEqual(try keep("{\"a\":[1.50]}"), try JSONParser.parse("{\"a\":[1.5]}"))
        XCTAssertEqual(Set([try keep("1.50"), try keep("1.5"), .double(1.5)]).count, 1, "hashes as its value")
        XCTAssertEqual(try keep("1e3").intValue, 1000)
        XCTAssertEqual(try keep("2.5").doubleValue, 2.5)
        XCTAssertEqual(try keep("-0.0").typeName, "number")
        XCTAssertNil(try keep("18446744073709551616").intValue)
    }

    func testTheWriterWritesValuesUnlessAskedForTheText() throws {
        // What the server stores and passes on does not depend on how a client spelled a number.
        XCTAssertEqual(JSONWriter.string(try keep("[1.50,2e3,-0,1e400]")), "[1.5,2000.0,0,null]")
        XCTAssertEqual(JSONWriter.string(try JSONParser.parse("[1.50,2e3,-0,1e400]")), "[1.5,2000.0,0,null]")
        XCTAssertEqual(JSONWriter.string(try keep("[1.50,2e3,-0]"), numbersAsWritten: true), "[1.50,2e3,-0]")
    }

    func testWithoutTheOptionNothingChanges() throws {
        XCTAssertEqual(try JSONParser.parse("-0"), .int(0))
        if case .double = try JSONParser.parse("1.50") {} else { XCTFail("1.50 is a double") }
        XCTAssertEqual(try JSONParser.parse("1.50").numberText, "1.5")
    }

    func testNumberFromText() {
        XCTAssertEqual(JSONNumber("1.50")?.text, "1.50")
        XCTAssertEqual(JSONNumber("12")?.value, .int(12))
        for bad in ["", " 1", "1 ", "01", "1.", "abc", "\"1\"", "[1]", "NaN"] {
            XCTAssertNil(JSONNumber(bad), bad)
        }
    }
}
