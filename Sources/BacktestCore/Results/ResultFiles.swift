import Base
import Foundation
import JSON

#if canImport(Glibc)
import Glibc
#endif

/// Access to the files a run wrote, for the server's `results` and `read` methods: a listing, and reads in
/// chunks so that a client can download a file of any size. Paths are relative to the results directory, and
/// nothing outside it can be read: `..` and absolute paths are refused outright, and symlinks are resolved
/// (`realpath` of both the directory and the file) and refused if they point out.
public enum ResultFiles {
    /// Bytes per `read` when the caller gives no length.
    public static let defaultLength = 1 << 20
    /// The most a caller may ask for in one `read` (explicitly).
    public static let maxLength = 16 << 20

    /// How `read` returns the bytes. `utf8` is text: a chunk never ends inside a multi-byte character (it ends
    /// early instead; continue from `next_offset`), and bytes that are not UTF-8 become U+FFFD. `base64` returns
    /// the exact bytes, for binary files and byte-exact downloads.
    public enum Encoding: String, Sendable, CaseIterable {
        case utf8
        case base64
    }

    /// Every file under the results directory, recursively, as paths relative to it, sorted. Symlinks are
    /// listed (with their target's size) only if they resolve to a file inside the directory; linked directories
    /// are not descended into. A missing results directory lists as empty.
    public static func list(resultsDir: String) throws -> [(path: String, size: Int64, modified: Date)] {
        guard let root = FileSystem.realpath(resultsDir) else { return [] }
        var out: [(path: String, size: Int64, modified: Date)] = []
        try walk(root: root, relative: "", into: &out)
        out.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return out
    }

    /// The listing as JSON: `[{path, size, modified}]` with ISO 8601 UTC times.
    public static func listJSON(resultsDir: String) throws -> JSONValue {
        .array(try list(resultsDir: resultsDir).map { f in
            .object(["path": .string(f.path), "size": .int(f.size), "modified": .string(ISOTime.format(epochSeconds: f.modified.timeIntervalSince1970))])
        })
    }

    static func walk(root: String, relative: String, into out: inout [(path: String, size: Int64, modified: Date)]) throws {
        let dirPath = relative.isEmpty ? root : root + "/" + relative
        guard let names = FileSystem.entries(dirPath) else {
            throw ResultFileError.invalid(reason: "cannot list \(relative.isEmpty ? "." : relative): \(errnoText())")
        }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + rel
            var st = stat()
            guard lstat(full, &st) == 0 else { continue }
            let type = st.st_mode & S_IFMT
            if type == S_IFDIR {
                try walk(root: root, relative: rel, into: &out)
            } else if type == S_IFREG {
                out.append((rel, Int64(st.st_size), date(st)))
            } else if type == S_IFLNK {
                guard let target = FileSystem.realpath(full), PathText.isInside(target, root), stat(target, &st) == 0,
                      st.st_mode & S_IFMT == S_IFREG else { continue }
                out.append((rel, Int64(st.st_size), date(st)))
            }
        }
    }

    static func date(_ st: stat) -> Date {
        Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    /// Reads `length` bytes (default 1 MiB, at most 16 MiB) of a file from `offset`.
    /// Answers `{path, offset, data, encoding, size, eof, length, next_offset}`: `length` is the number of bytes
    /// of the file the chunk covers (shorter than asked at the end of the file, or in utf8 to keep a character
    /// whole), `next_offset` is where the next chunk starts, `eof` says the chunk reaches the end.
    public static func read(resultsDir: String, path: String, offset: Int64 = 0, length: Int? = nil,
                            encoding: Encoding = .utf8) throws(ResultFileError) -> JSONObject {
        let resolved = try resolve(resultsDir: resultsDir, path: path)
        var st = stat()
        guard stat(resolved, &st) == 0 else { throw .fileNotFound(path: path) }
        if st.st_mode & S_IFMT == S_IFDIR { throw .invalid(reason: "\(path) is a directory (use results to list it)") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw .invalid(reason: "\(path) is not a regular file") }
        let size = Int64(st.st_size)
        let want = length ?? defaultLength
        guard want >= 1 && want <= maxLength else {
            throw .invalid(reason: "length must be from 1 to \(maxLength), got \(want)")
        }
        guard offset >= 0 else { throw .invalid(reason: "offset must not be negative, got \(offset)") }
        guard offset <= size else { throw .invalid(reason: "offset \(offset) is beyond the end of \(path) (size \(size))") }

        let count = Int(min(Int64(want), size - offset))
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 {
            let file: ReadOnlyFile
            do { file = try ReadOnlyFile(path: resolved) } catch {
                if error.code == ENOENT { throw .fileNotFound(path: path) }
                throw .invalid(reason: "cannot open \(path): \(error.reason)")
            }
            let n = bytes.withUnsafeMutableBytes { file.read(into: $0, at: offset) }
            guard n >= 0 else { throw .invalid(reason: "cannot read \(path): \(errnoText())") }
            if n < count { bytes.removeLast(count - n) }  // the file shrank meanwhile
        }
        var covered = bytes.count
        let data: String
        switch encoding {
        case .base64:
            data = Data(bytes).base64EncodedString()
        case .utf8:
            if offset + Int64(covered) < size { covered = completeUTF8Prefix(bytes) }
            data = String(decoding: bytes[0..<covered], as: UTF8.self)
        }
        let next = offset + Int64(covered)
        return [
            "path": .string(path), "offset": .int(offset), "data": .string(data), "encoding": .string(encoding.rawValue),
            "size": .int(size), "eof": .bool(next >= size), "length": .int(Int64(covered)), "next_offset": .int(next),
        ]
    }

    /// The length of `b` without a multi-byte character cut off at its end. Never 0 for a non-empty chunk, so a
    /// client always makes progress (a chunk of 1–3 bytes inside one character is returned as it is).
    static func completeUTF8Prefix(_ b: [UInt8]) -> Int {
        let n = b.count
        var k = n - 1
        // Back over at most three continuation bytes to the lead byte of the last character.
        while k >= 0 && k > n - 4 && b[k] & 0xC0 == 0x80 { k -= 1 }
        guard k >= 0 else { return n }
        let lead = b[k]
        let need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        if n - k >= need { return n }
        return k > 0 ? k : n
    }

    /// The real path of `path` inside the results directory, refusing anything that leaves it.
    public static func resolve(resultsDir: String, path: String) throws(ResultFileError) -> String {
        if path.isEmpty { throw .invalid(reason: "path is empty") }
        if path.utf8.contains(0) { throw .invalid(reason: "path contains a NUL byte") }
        if path.hasPrefix("/") || path.split(separator: "/").contains("..") { throw .pathOutsideRun(path: path) }
        guard let root = FileSystem.realpath(resultsDir) else { throw .fileNotFound(path: path) }
        let joined = root + "/" + path
        guard let real = FileSystem.realpath(joined) else {
            // A dangling symlink may point anywhere; say so only if it points out.
            var st = stat()
            if lstat(joined, &st) == 0, st.st_mode & S_IFMT == S_IFLNK, let target = FileSystem.linkTarget(joined),
               !PathText.isInside(target.hasPrefix("/") ? target : (joined as NSString).deletingLastPathComponent + "/" + target, root) {
                throw .pathOutsideRun(path: path)
            }
            throw .fileNotFound(path: path)
        }
        guard PathText.isInside(real, root) else { throw .pathOutsideRun(path: path) }
        return real
    }
}
