import Base
import Glibc

/// Copies files while hashing them, in one read of each file, reusing one 1 MiB buffer for a whole
/// capture. The copy keeps the permission bits, so an executable entry script stays executable in `code/`
/// and a rerun can start it the same way.
struct FileCopier: ~Copyable {
    private let buffer: UnsafeMutableRawBufferPointer

    init() { buffer = .allocate(byteCount: SHA256.chunkSize, alignment: 64) }

    deinit { buffer.deallocate() }

    /// Copies `source` to `destination` (replacing it) and returns the size and SHA-256 of what was copied.
    func copy(from source: String, to destination: String) throws -> (size: Int64, sha256: String) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        if input < 0 { throw ProvenanceError.io(path: source, operation: "open", errno: errno) }
        defer { close(input) }
        var st = stat()
        let mode: mode_t = fstat(input, &st) == 0 ? st.st_mode & 0o777 : 0o644
        // Remove first: a read-only file left by an earlier capture could not be opened for writing.
        unlink(destination)
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode | 0o200)
        if output < 0 { throw ProvenanceError.io(path: destination, operation: "create", errno: errno) }
        defer { close(output) }
        var hasher = SHA256()
        var size: Int64 = 0
        while true {
            let got = read(input, buffer.baseAddress, buffer.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw ProvenanceError.io(path: source, operation: "read", errno: errno)
            }
            if got == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            hasher.update(chunk)
            guard AtomicFile.writeAll(output, chunk) else {
                throw ProvenanceError.io(path: destination, operation: "write", errno: errno)
            }
            size += Int64(got)
        }
        if mode & 0o200 == 0 { fchmod(output, mode) }
        return (size, SHA256.hex(of: hasher.finalize()))
    }
}
