import Base
import Glibc

extension FileSystem {
    /// The whole content of a file, refusing files over `limit` bytes (a stray multi-GB summary.csv must not
    /// exhaust memory). Throws `ProvenanceError`: a missing file is `missingFile`, which `report` answers as
    /// the protocol's `results_missing`.
    package static func readFile(_ path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: path) } catch {
            if error.code == ENOENT { throw ProvenanceError.missingFile(path: path) }
            throw ProvenanceError.io(path: path, operation: "open", errno: error.code)
        }
        let bytes: [UInt8]?
        do { bytes = try file.readAll(limit: limit) } catch {
            throw ProvenanceError.io(path: path, operation: "read", errno: error.code)
        }
        guard let bytes else { throw ProvenanceError.invalidContent(path: path, reason: "larger than \(limit) bytes") }
        return bytes
    }
}
