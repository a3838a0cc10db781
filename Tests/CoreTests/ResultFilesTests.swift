import Foundation
import JSON
import XCTest
@testable import BacktestCore

final class ResultFilesTests: XCTestCase {
    func makeResults() -> String {
        let dir = WorkspaceTestSupport.tempDir("files")
        WorkspaceTestSupport.write("a,b\n1,2\n", to: dir + "/results/trades.csv")
        WorkspaceTestSupport.write("{}", to: dir + "/results/sub/deeper/x.json")
        WorkspaceTestSupport.write("secret", to: dir + "/outside.txt")
        try! FileManager.default.createSymbolicLink(atPath: dir + "/results/escape", withDestinationPath: "../outside.txt")
        try! FileManager.default.createSymbolicLink(atPath: dir + "/results/abs-escape", withDestinationPath: "/etc/hostname")
        try! FileManager.default.createSymbolicLink(atPath: dir + "/results/alias.csv", withDestinationPath: "trades.csv")
        return dir + "/results"
    }

    func testListIsRecursiveRelativeSortedAndStaysInside() throws {
        let results = makeResults()
        let files = try ResultFiles.list(resultsDir: results)
        XCTAssertEqual(files.map(\.path), ["alias.csv", "sub/deeper/x.json", "trades.csv"])
        XCTAssertEqual(files.map(\.size), [8, 2, 8])
        XCTAssertLessThan(abs(files[2].modified.timeIntervalSinceNow), 60)
        XCTAssertEqual(try ResultFiles.list(resultsDir: results + "/nope").count, 0)
        let j = try ResultFiles.listJSON(resultsDir: results)
        XCTAssertEqual(j.arrayValue?.first?.objectValue?.keys, ["path", "size", "modified"])
    }

    func testEscapesAreRefused() {
        let results = makeResults()
        for path in ["../outside.txt", "/etc/hostname", "sub/../../outside.txt", "escape", "abs-escape", ".."] {
            XCTAssertThrowsError(try ResultFiles.read(resultsDir: results, path: path), path) { e in
                XCTAssertEqual(e as? ResultFileError, .pathOutsideRun(path: path), path)
            }
        }
        XCTAssertEqual(try ResultFiles.read(resultsDir: results, path: "alias.csv")["data"], "a,b\n1,2\n")
        XCTAssertEqual(try ResultFiles.read(resultsDir: results, path: "sub/./deeper/x.json")["data"], "{}")
    }

    func testBadRequests() {
        let results = makeResults()
        func error(_ path: String, offset: Int64 = 0, length: Int? = nil) -> ResultFileError? {
            do { _ = try ResultFiles.read(resultsDir: results, path: path, offset: offset, length: length); return nil } catch { return error }
        }
        XCTAssertEqual(error("nope.csv"), .fileNotFound(path: "nope.csv"))
        guard case .invalid = error("sub") else { return XCTFail("a directory") }
        guard case .invalid = error("trades.csv", length: 0) else { return XCTFail("length 0") }
        guard case .invalid = error("trades.csv", length: ResultFiles.maxLength + 1) else { return XCTFail("too long") }
        guard case .invalid = error("trades.csv", offset: 9) else { return XCTFail("offset beyond the end") }
        guard case .invalid = error("trades.csv", offset: -1) else { return XCTFail("negative offset") }
        guard case .invalid = error("") else { return XCTFail("empty path") }
        // Reading at the very end is allowed and says eof.
        XCTAssertEqual(try ResultFiles.read(resultsDir: results, path: "trades.csv", offset: 8)["eof"], true)
    }

    func testUTF8ChunksNeverSplitACharacter() throws {
        let results = WorkspaceTestSupport.tempDir("utf8")
        let text = String(repeating: "pnl ₹1,234 — ok ✓ 📈\n", count: 50)
        WorkspaceTestSupport.write(text, to: results + "/log.txt")
        for length in [1, 2, 3, 5, 7, 64] {
            var offset: Int64 = 0
            var out = ""
            while true {
                let r = try ResultFiles.read(resultsDir: results, path: "log.txt", offset: offset, length: length)
                XCTAssertEqual(r.keys, ["path", "offset", "data", "encoding", "size", "eof", "length", "next_offset"])
                let data = r["data"]!.stringValue!
                if length >= 4 { XCTAssertFalse(data.contains("\u{FFFD}"), "length \(length)") }
                out += data
                offset = Int64(r["next_offset"]!.intValue!)
                if r["eof"] == true { break }
            }
            if length >= 4 { XCTAssertEqual(out, text, "length \(length)") }
        }
    }

    /// A 1 GiB file read in 16 MiB base64 chunks reassembles byte for byte. The file is sparse (holes read as
    /// zeros) with a distinct 64 KiB block of data every 32 MiB, so a chunk that lands in the wrong place fails.
    func testOneGigabyteFileReassemblesByteForByte() throws {
        let results = WorkspaceTestSupport.tempDir("big")
        let path = results + "/big.bin"
        let size: Int64 = 1 << 30
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(ftruncate(fd, off_t(size)), 0)
        var block = [UInt8](repeating: 0, count: 1 << 16)
        var marks: [Int64] = []
        var secondBlock: [UInt8] = []
        var off: Int64 = 0
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        while off < size {
            for k in 0..<block.count { seed = seed &* 6364136223846793005 &+ 1442695040888963407; block[k] = UInt8(truncatingIfNeeded: seed >> 33) }
            XCTAssertEqual(pwrite(fd, block, block.count, off_t(off + 12345)), block.count)
            marks.append(off + 12345)
            if marks.count == 2 { secondBlock = block }
            off += 32 << 20
        }
        // The last bytes of the file too (the final chunk is the easiest to get wrong).
        XCTAssertEqual(pwrite(fd, block, 100, off_t(size - 100)), 100)
        close(fd)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let original = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        var offset: Int64 = 0
        var chunks = 0
        var hashA: UInt64 = 0xcbf29ce484222325, hashB: UInt64 = 0xcbf29ce484222325
        let started = Date()
        while true {
            let r = try ResultFiles.read(resultsDir: results, path: "big.bin", offset: offset, length: ResultFiles.maxLength, encoding: .base64)
            XCTAssertEqual(r["size"], .int(size))
            let data = Data(base64Encoded: r["data"]!.stringValue!)!
            try original.seek(toOffset: UInt64(offset))
            let expected = original.readData(ofLength: data.count)
            XCTAssertEqual(data.count, expected.count)
            XCTAssertTrue(data == expected, "chunk at \(offset) differs")
            hashA = Self.mix(hashA, data)
            hashB = Self.mix(hashB, expected)
            offset += Int64(data.count)
            chunks += 1
            if r["eof"] == true { break }
        }
        XCTAssertEqual(offset, size)
        XCTAssertEqual(chunks, 64)
        XCTAssertEqual(hashA, hashB)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        // The default length is 1 MiB.
        let small = try ResultFiles.read(resultsDir: results, path: "big.bin", offset: marks[1], encoding: .base64)
        XCTAssertEqual(small["length"], .int(1 << 20))
        XCTAssertEqual(Data(base64Encoded: small["data"]!.stringValue!)!.prefix(secondBlock.count), Data(secondBlock))
    }

    /// A cheap hash of a chunk (a word of every 4 KiB page plus the length), enough to tell chunks apart in order.
    static func mix(_ h: UInt64, _ d: Data) -> UInt64 {
        var h = h ^ UInt64(d.count)
        d.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100000001b3
                i += 4096
            }
        }
        return h
    }
}
