import Foundation
import XCTest
@testable import Validation

final class CSVReaderTests: XCTestCase {
    func read(_ text: String, chunkSize: Int = 1 << 20) throws -> [(line: Int, fields: [String])] {
        let path = TestSupport.tempDir("csv") + "/f.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return try readFile(path, chunkSize: chunkSize)
    }

    func readFile(_ path: String, chunkSize: Int = 1 << 20) throws -> [(line: Int, fields: [String])] {
        var csv = try CSVReader(path: path, chunkSize: chunkSize)
        var out: [(Int, [String])] = []
        while try csv.next() { out.append((csv.line, csv.strings())) }
        return out
    }

    func testRFC4180() throws {
        let text = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n\r\n3,,\"\"\n4,last,no newline"
        for chunk in [64, 65, 100, 1 << 20] {
            let rows = try read(text, chunkSize: chunk)
            XCTAssertEqual(rows.map(\.fields), [
                ["a", "b", "c"], ["1", "x, y", "say \"hi\""], ["2", "two\nlines", ""], ["3", "", ""],
                ["4", "last", "no newline"],
            ], "chunk \(chunk)")
            // Physical lines: the quoted newline moves everything after it down one line; the blank line is skipped.
            XCTAssertEqual(rows.map(\.line), [1, 2, 3, 6, 7], "chunk \(chunk)")
        }
    }

    func testByteOrderMarkIsNotPartOfTheFirstColumn() throws {
        let rows = try read("\u{FEFF}date,pnl\n2024-01-02,1.00\n")
        XCTAssertEqual(rows[0].fields, ["date", "pnl"])
    }

    func testUnterminatedQuoteIsAnErrorWithItsLine() throws {
        let text = "a,b\n1,2\n3,\"open\n4,5\n6,7\n"
        XCTAssertThrowsError(try read(text)) { e in
            let err = e as! CSVError
            XCTAssertEqual(err.kind, .unterminatedQuote)
            XCTAssertEqual(err.line, 3)
        }
        XCTAssertThrowsError(try read(text, chunkSize: 64))
    }

    func testUnterminatedQuoteInAHugeRecordIsStillNamed() throws {
        // More than maxRecordBytes after the quote: the reader gives up keeping it, but still says why.
        let path = TestSupport.tempDir("csv") + "/big.csv"
        var text = "a,b\n1,2\n3,\"open\n"
        let row = String(repeating: "x", count: 99) + "\n"
        text.reserveCapacity(10 << 20)
        for _ in 0..<(CSVReader.maxRecordBytes / 100 + 1000) { text += row }
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        XCTAssertThrowsError(try readFile(path)) { e in
            XCTAssertEqual((e as! CSVError).kind, .unterminatedQuote)
            XCTAssertEqual((e as! CSVError).line, 3)
        }
    }

    func testLenientLikePandas() throws {
        // A quote inside an unquoted field is a character; text after a closing quote stays in the field.
        let rows = try read("a,b\nit's 5\" long,\"ab\"c\n")
        XCTAssertEqual(rows[1].fields, ["it's 5\" long", "abc"])
    }

    func testRecordsLongerThanTheChunk() throws {
        let long = String(repeating: "z", count: 5000)
        let rows = try read("h\n\(long)\n\"\(long)\"\nend\n", chunkSize: 64)
        XCTAssertEqual(rows.map(\.fields), [["h"], [long], [long], ["end"]])
    }

    func testDecimalParser() {
        func p(_ s: String) -> DecimalParser.Value? {
            Array(s.utf8).withUnsafeBufferPointer { DecimalParser.parse($0) }
        }
        XCTAssertEqual(p("-487.12")?.double, -487.12)
        XCTAssertEqual(p("-487.12")?.cents, -48712)
        XCTAssertEqual(p("23865.4")?.cents, 2386540)
        XCTAssertEqual(p("+3")?.cents, 300)
        XCTAssertEqual(p("0.125")?.double, 0.125)
        XCTAssertNil(p("0.125")?.cents)
        XCTAssertEqual(p("1e3")?.double, 1000)
        XCTAssertEqual(p(" 42 ")?.double, 42)
        XCTAssertTrue(p("NaN")?.double.isNaN == true)
        XCTAssertNil(p(""))
        XCTAssertNil(p("-"))
        XCTAssertNil(p("abc"))
        XCTAssertNil(p("1.2.3"))
        XCTAssertEqual(p("123456789012345678901234")?.double, 123456789012345678901234.0)
        // Correctly rounded, like Double(String).
        for s in ["0.1", "-9000.00", "1234567.89", "0.3", "98765.43"] { XCTAssertEqual(p(s)?.double, Double(s), s) }
    }
}
