import Foundation
import JSON
import TestSupport
import XCTest

/// docs/architecture.md's "Where each method lives" table names, for every method of the contract, the file
/// that holds it: each file exists, and the method's type there says its name.
final class ArchitectureDocTests: XCTestCase {
    func testEveryMethodOfTheContractIsInTheTableWithItsFile() throws {
        let doc = try String(contentsOfFile: TestPaths.repoRoot + "/docs/architecture.md", encoding: .utf8)
        let section = try XCTUnwrap(doc.components(separatedBy: "## Where each method lives").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        var files: [String: String] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let file = cells[1].split(separator: "`").first else { continue }
            for method in cells[0].split(separator: ",") {
                files[method.trimmingCharacters(in: CharacterSet(charactersIn: " `"))] = String(file)
            }
        }
        let contract = try JSONParser.parse([UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.repoRoot + "/protocol/openrpc.json"))))
        let methods = (contract["methods"].arrayValue ?? []).compactMap { $0["name"].stringValue }
        XCTAssertFalse(methods.isEmpty)
        for method in methods {
            guard let file = files[method] else { XCTFail("docs/architecture.md does not say where \(method) lives"); continue }
            let text = try? String(contentsOfFile: TestPaths.repoRoot + "/" + file, encoding: .utf8)
            XCTAssertNotNil(text, "\(method): \(file) does not exist")
            if file.contains("/Methods/") {
                XCTAssertTrue(text?.contains("static let name = \"\(method)\"") == true, "\(file) does not hold \(method)")
            }
        }
        XCTAssertEqual(Set(files.keys).subtracting(methods).subtracting(["exit", "$/cancelRequest"]), [],
                       "the table names methods the contract does not have")
    }
}
