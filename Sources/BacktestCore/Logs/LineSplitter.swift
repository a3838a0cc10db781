import Glibc

/// Cuts one stream's bytes into lines, fed in chunks as they arrive from a pipe.
///
/// - `\n` ends a line; `\r\n` is one terminator, even when the chunk boundary falls between the two bytes.
/// - A lone `\r` ends a line too: carriage-return progress updates (tqdm) become one line per update
///   instead of one endless line. A lone `\r` that would end an empty line (tqdm starts every update with
///   `\r`, right after the previous line's end) makes no line; an empty line ended by `\n` or `\r\n` does.
/// - A line longer than `maxLineBytes` is emitted in pieces of at most that size, cut on a UTF-8 character
///   boundary, so that memory stays bounded whatever the script writes (a 10 MB line is ~160 pieces).
/// - `finish()` emits a last line that has no terminator.
///
/// Pure (no I/O) so that it can be tested by feeding bytes one at a time.
public struct LineSplitter: Sendable {
    public static let defaultMaxLineBytes = 64 * 1024

    public let maxLineBytes: Int
    /// The start of a line whose end has not arrived yet (never more than `maxLineBytes` once a feed returns).
    private var pending: [UInt8] = []
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    private var skipLF = false
    /// ... and that `\r` ended an empty line, which exists only if the `\n` comes (a blank `\r\n` line).
    private var emptyLineBeforeCR = false

    public init(maxLineBytes: Int = LineSplitter.defaultMaxLineBytes) {
        precondition(maxLineBytes >= 4, "a piece must hold any UTF-8 character")
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes held back waiting for a terminator.
    public var pendingCount: Int { pending.count }

    /// Splits `chunk`, calling `emit` with each complete line (terminator excluded), in order.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        let n = chunk.count
        guard n > 0 else { return }
        var i = 0
        if skipLF {
            skipLF = false
            if chunk[0] == 0x0A {
                i = 1
                if emptyLineBeforeCR { emit(UnsafeBufferPointer(start: nil, count: 0)) }
            }
            emptyLineBeforeCR = false
        }
        var lineStart = i
        let base = chunk.baseAddress!
        // memchr is vectorised: find the next `\n` line by line, and the next `\r` (rare) once per chunk
        // and again only after passing one.
        @inline(__always) func next(_ c: Int32, from: Int) -> Int {
            guard from < n, let p = memchr(base + from, c, n - from) else { return n }
            return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
        }
        var nextCR = next(0x0D, from: i)
        while i < n {
            i = min(next(0x0A, from: i), nextCR)
            if i == n { break }
            let b = chunk[i]
            defer { if nextCR < i { nextCR = next(0x0D, from: i) } }
            let segment = UnsafeBufferPointer(rebasing: chunk[lineStart..<i])
            if pending.isEmpty {
                if segment.isEmpty && b == 0x0D {
                    // An empty line ended by `\r`: a line only if `\n` follows (then it is `\r\n`).
                    if i + 1 < n {
                        if chunk[i + 1] == 0x0A { emit(segment); i += 1 }
                    } else {
                        skipLF = true
                        emptyLineBeforeCR = true
                    }
                    i += 1
                    lineStart = i
                    continue
                }
                emitLine(segment, emit)
            } else {
                pending.append(contentsOf: segment)
                pending.withUnsafeBufferPointer { emitLine($0, emit) }
                pending.removeAll(keepingCapacity: true)
            }
            if b == 0x0D {
                if i + 1 < n { if chunk[i + 1] == 0x0A { i += 1 } } else { skipLF = true }
            }
            i += 1
            lineStart = i
        }
        if lineStart < n {
            pending.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[lineStart..<n]))
            if pending.count > maxLineBytes { emitOverlongPrefix(emit) }
        }
    }

    /// Emits what is left as a last line (a script whose last line has no newline).
    public mutating func finish(emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        skipLF = false
        emptyLineBeforeCR = false
        guard !pending.isEmpty else { return }
        pending.withUnsafeBufferPointer { emitLine($0, emit) }
        pending.removeAll(keepingCapacity: false)
    }

    /// Emits a complete line, in pieces when it is too long.
    private func emitLine(_ line: UnsafeBufferPointer<UInt8>, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        while line.count - start > maxLineBytes {
            let cut = Self.cut(line, from: start, max: maxLineBytes)
            emit(UnsafeBufferPointer(rebasing: line[start..<cut]))
            start = cut
        }
        emit(UnsafeBufferPointer(rebasing: line[start..<line.count]))
    }

    /// While no terminator comes, emits full pieces from `pending` and keeps only the unfinished rest.
    private mutating func emitOverlongPrefix(_ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        let max = maxLineBytes
        pending.withUnsafeBufferPointer { p in
            while p.count - start > max {
                let cut = Self.cut(p, from: start, max: max)
                emit(UnsafeBufferPointer(rebasing: p[start..<cut]))
                start = cut
            }
        }
        pending.removeSubrange(0..<start)
    }

    /// The end of a piece starting at `from`: `from + max`, moved back so it does not split a UTF-8 sequence
    /// (a continuation byte 10xxxxxx never starts a piece). Invalid bytes are cut anywhere.
    static func cut(_ p: UnsafeBufferPointer<UInt8>, from: Int, max: Int) -> Int {
        let hard = from + max
        var c = hard
        while c > hard - 3, p[c] & 0xC0 == 0x80 { c -= 1 }
        // Three continuation bytes before `hard` and one at it: not valid UTF-8 anyway, cut hard.
        return p[c] & 0xC0 == 0x80 ? hard : c
    }
}
