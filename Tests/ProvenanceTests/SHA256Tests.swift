import TestSupport
import XCTest

@testable import Provenance

final class SHA256Tests: XCTestCase {
    private func hex(_ s: String) -> String { SHA256.hex(of: SHA256.digest(Array(s.utf8))) }

    func testKnownVectors() {
        // FIPS 180-4 / NIST examples.
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testPaddingBoundariesMatchPython() {
        // Lengths around the 55/56/64-byte padding edges, checked against Python's hashlib.
        let lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129]
        let script = "import hashlib\nfor n in \(lengths): print(hashlib.sha256(bytes((i * 7) % 256 for i in range(n))).hexdigest())"
        let expected = TestFiles.sh("python3 -c '\(script)'").split(separator: "\n").map(String.init)
        XCTAssertEqual(expected.count, lengths.count)
        for (k, n) in lengths.enumerated() {
            let bytes = (0..<n).map { UInt8(($0 * 7) % 256) }
            XCTAssertEqual(SHA256.hex(of: SHA256.digest(bytes)), expected[k], "length \(n)")
        }
    }

    func testIncrementalUpdatesEqualOneShot() {
        var rng = SystemRandomNumberGenerator()
        let data = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = SHA256.digest(data)
        for _ in 0..<20 {
            var h = SHA256()
            var i = 0
            while i < data.count {
                let n = Int.random(in: 0...200, using: &rng)
                let end = min(data.count, i + n)
                data[i..<end].withUnsafeBytes { h.update($0) }
                i = end
            }
            XCTAssertEqual(h.finalize(), whole)
        }
    }

    func testFileHashEqualsSha256sum() throws {
        let dir = TestFiles.makeTempDir(self)
        let path = dir + "/random.bin"
        // Over three 1 MiB chunks and not a multiple of 64, so chunk and block edges are both crossed.
        TestFiles.sh("head -c 3145745 /dev/urandom > '\(path)'")
        let expected = String(TestFiles.sh("sha256sum '\(path)'").prefix(64))
        XCTAssertEqual(try SHA256.hexOfFile(path: path), expected)
    }

    func testMissingFileThrows() {
        XCTAssertThrowsError(try SHA256.hexOfFile(path: "/nonexistent/file"))
    }
}
