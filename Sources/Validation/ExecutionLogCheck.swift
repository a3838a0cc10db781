import Base
#if canImport(Glibc)
import Glibc
#endif

/// Checks of the run's execution.log (which the manager writes, not the script): it exists, it has output, and no
/// line shows a critical failure (a Python traceback, a CRITICAL or FATAL log line). Read line by line in 1 MiB
/// chunks, so a flood of millions of lines costs time but no memory.
struct ExecutionLogCheck: FileFacts, Sendable {
    static let file = "execution.log"
    static let needles: [[UInt8]] = ["Traceback (most recent call last)", "CRITICAL", "FATAL"].map { Array($0.utf8) }

    var findings = FindingList(file: ExecutionLogCheck.file)
    /// Whether the file is there, its size, and how far it was read (`FileRead`).
    var read = FileRead()
    var lines = 0

    /// `runDir` nil: validated outside a run; the log is looked for beside the results, and its absence is the
    /// only finding.
    static func run(runDir: String?, resultsDir: String, isCancelled: @Sendable () -> Bool) -> ExecutionLogCheck {
        var s = ExecutionLogCheck()
        let path = PathText.join(runDir ?? resultsDir, file)
        let missing = runDir == nil ? "not found (validated outside a run)" : "missing: the run's output was not recorded"
        guard s.lookAt(path, missing: (LogRules.exists, missing)) else { return s }
        if s.size == 0 {
            s.findings.add(LogRules.empty, "is empty: the script printed nothing")
            return s
        }
        guard let f = try? ReadOnlyFile(path: path) else {
            s.findings.add(LogRules.exists, "cannot be read")
            return s
        }
        s.scan(f, isCancelled: isCancelled)
        return s
    }

    mutating func scan(_ f: ReadOnlyFile, isCancelled: @Sendable () -> Bool) {
        let cap = 1 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: cap, alignment: 16)
        defer { buf.deallocate() }
        let base = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var filled = 0
        var offset: Int64 = 0
        var atEOF = false
        while !atEOF {
            let n = f.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[filled..<cap]), at: offset)
            if n <= 0 { atEOF = true } else { filled += n; offset += Int64(n) }
            var start = 0
            while start < filled {
                let rest = filled - start
                let nl = memchr(base + start, 0x0A, rest)
                let lineEnd: Int
                if let nl {
                    lineEnd = UnsafeRawPointer(nl) - UnsafeRawPointer(base)
                } else if atEOF || (start == 0 && filled == cap) {
                    // The last line without a newline, or a line longer than the buffer, checked in pieces.
                    lineEnd = filled
                } else {
                    break
                }
                lines += 1
                checkLine(UnsafeBufferPointer(start: base + start, count: lineEnd - start))
                start = lineEnd + 1
            }
            if start < filled {
                memmove(base, base + start, filled - start)
                filled -= start
            } else {
                filled = 0
            }
            if isCancelled() { cancelled = true; return }
        }
    }

    /// Substring search: memchr to each occurrence of the needle's first byte, then a compare. (glibc's memmem is
    /// not visible through the Glibc module.)
    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let n = needle.count
        guard hay.count >= n, let base = hay.baseAddress else { return false }
        let first = Int32(needle[0])
        var i = 0
        while i <= hay.count - n {
            guard let p = memchr(base + i, first, hay.count - n + 1 - i) else { return false }
            let at = UnsafeRawPointer(p) - UnsafeRawPointer(base)
            if needle.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, n) }) == 0 { return true }
            i = at + 1
        }
        return false
    }

    mutating func checkLine(_ line: UnsafeBufferPointer<UInt8>) {
        guard !line.isEmpty else { return }
        for needle in ExecutionLogCheck.needles {
            if ExecutionLogCheck.contains(line, needle) {
                var text = String(decoding: line.prefix(200), as: UTF8.self)
                if text.hasSuffix("\r") { text.removeLast() }
                findings.add(LogRules.critical, line: lines, "\(text)\(line.count > 200 ? "…" : "")")
                return
            }
        }
    }
}
