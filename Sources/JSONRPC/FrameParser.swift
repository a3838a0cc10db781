import Glibc

/// Splits a byte stream into message bodies, incrementally: feed it whatever `read(2)` returned (one byte,
/// half a header, ten messages) and it emits every complete frame, keeping the rest for the next feed.
/// Pure: no I/O, no threads, so it is tested on its own by feeding one byte at a time and in random splits.
///
/// - Framing (`.auto`) is decided by the first non-whitespace byte: `{` or `[` → NDJSON, else LSP.
/// - NDJSON: a message per line, `\r\n` accepted, blank lines skipped, a last line without `\n` is a message
///   at end of input.
/// - LSP: header lines (`\r\n` or `\n` terminated) up to an empty line; `Content-Length` matched
///   case-insensitively and counted in bytes; other headers ignored; blank lines between frames skipped.
/// - Oversize frames are skipped without being buffered (`.tooLarge`); a malformed header block is reported
///   (`.malformed`) and the parser resynchronises on the next `Content-Length:`. Either way the stream
///   stays in sync.
public struct FrameParser: Sendable {
    /// What the parser found.
    public enum Event: Sendable, Equatable {
        /// A complete message body (for NDJSON without the line terminator).
        case message([UInt8])
        /// A frame of `size` bytes over the limit was skipped.
        case tooLarge(size: Int)
        /// The framing itself was broken (bad header, truncated body at end of input).
        case malformed(reason: String)
    }

    private enum State: Sendable {
        case detect
        case line
        /// `endsWithCR`: the last byte skipped was `\r` (so a `\n` next ends a `\r\n` line).
        case skipLine(size: Int, endsWithCR: Bool)
        case headers
        case body(length: Int)
        case skipBody(remaining: Int)
        case resync
    }

    /// Header blocks longer than this are refused: no real client sends more than a few dozen bytes.
    public static let maxHeaderBytes = 16 * 1024

    /// `.auto` until the first non-whitespace byte has been seen, then `.ndjson` or `.lsp`.
    public private(set) var framing: Framing
    public let maxMessageSize: Int

    private var state: State
    /// Bytes received but not yet consumed (a partial frame).
    private var pending: [UInt8] = []
    /// How many bytes of `pending` are already known to hold no newline (so long lines are scanned once).
    private var scanned = 0
    // The header block being read.
    private var contentLength: Int?
    private var headerBytes = 0
    private var sawHeader = false

    public init(framing: Framing = .auto, maxMessageSize: Int = 64 << 20) {
        self.framing = framing
        self.maxMessageSize = maxMessageSize
        switch framing {
        case .auto: state = .detect
        case .ndjson: state = .line
        case .lsp: state = .headers
        }
    }

    /// Consumes `chunk`, calling `emit` for every event, in stream order.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ emit: (Event) throws -> Void) rethrows {
        let bytes = chunk.bindMemory(to: UInt8.self)
        if pending.isEmpty {
            // Common case: parse straight from the caller's buffer, keep only the unfinished tail.
            let used = try process(bytes, emit)
            if used < bytes.count { pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[used...])) }
        } else {
            pending.append(contentsOf: bytes)
            var buffer = pending
            pending = []
            let used = try buffer.withUnsafeBufferPointer { try process($0, emit) }
            if used < buffer.count {
                buffer.removeFirst(used)
                pending = buffer
            }
        }
    }

    /// Convenience for tests and small inputs.
    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        var out: [Event] = []
        bytes.withUnsafeBytes { feed($0) { out.append($0) } }
        return out
    }

    /// End of input: whatever is left becomes a last message (an NDJSON line without `\n`) or an error.
    public mutating func finish() -> [Event] {
        defer { pending = []; scanned = 0 }
        switch state {
        case .detect, .resync, .skipBody:
            return []
        case .line:
            let line = trimLineEnd(pending[...])
            if isBlank(line) { return [] }
            return line.count > maxMessageSize ? [.tooLarge(size: line.count)] : [.message(Array(line))]
        case .skipLine(let size, _):
            return [.tooLarge(size: size + pending.count)]
        case .headers:
            if !sawHeader && isBlank(pending[...]) { return [] }
            return [.malformed(reason: "end of input inside a header block")]
        case .body(let length):
            return [.malformed(reason: "end of input after \(pending.count) of \(length) body bytes")]
        }
    }

    // MARK: - The state machine

    /// Parses as much of `p` as forms complete frames; returns how many bytes were consumed.
    private mutating func process(_ p: UnsafeBufferPointer<UInt8>, _ emit: (Event) throws -> Void) rethrows -> Int {
        var i = 0
        let n = p.count
        while true {
            switch state {
            case .detect:
                while i < n, isSpace(p[i]) { i += 1 }
                if i == n { return i }
                framing = p[i] == UInt8(ascii: "{") || p[i] == UInt8(ascii: "[") ? .ndjson : .lsp
                state = framing == .ndjson ? .line : .headers

            case .line:
                guard let nl = newline(p, from: i + scanned) else {
                    if n - i > maxMessageSize {
                        // Do not buffer an oversize line: count it while skipping to its end.
                        state = .skipLine(size: n - i, endsWithCR: p[n - 1] == 0x0D)
                        scanned = 0
                        return n
                    }
                    scanned = n - i
                    return i
                }
                scanned = 0
                let line = trimLineEnd(p[i..<nl])
                i = nl + 1
                if line.count > maxMessageSize {
                    try emit(.tooLarge(size: line.count))
                } else if !isBlank(line) {
                    try emit(.message(Array(line)))
                }

            case .skipLine(let size, let endsWithCR):
                guard let nl = newline(p, from: i) else {
                    if i < n { state = .skipLine(size: size + n - i, endsWithCR: p[n - 1] == 0x0D) }
                    return n
                }
                var total = size + nl - i
                if nl > i ? p[nl - 1] == 0x0D : endsWithCR { total -= 1 }
                try emit(.tooLarge(size: total))
                i = nl + 1
                state = .line

            case .headers:
                if !sawHeader {
                    // Blank lines and spaces between frames (some clients end a body with "\r\n").
                    while i < n, isSpace(p[i]) { i += 1 }
                    if i == n { return i }
                }
                guard let nl = newline(p, from: i + scanned) else {
                    if headerBytes + n - i > Self.maxHeaderBytes {
                        try emit(.malformed(reason: "header block longer than \(Self.maxHeaderBytes) bytes"))
                        resetHeaders()
                        state = .resync
                        continue
                    }
                    scanned = n - i
                    return i
                }
                scanned = 0
                let line = trimLineEnd(p[i..<nl])
                headerBytes += nl + 1 - i
                i = nl + 1
                if line.isEmpty {
                    let length = contentLength
                    resetHeaders()
                    guard let length else {
                        try emit(.malformed(reason: "header block without Content-Length"))
                        state = .resync
                        continue
                    }
                    if length > maxMessageSize {
                        try emit(.tooLarge(size: length))
                        state = .skipBody(remaining: length)
                    } else {
                        state = .body(length: length)
                    }
                    continue
                }
                sawHeader = true
                if let problem = header(line) {
                    try emit(.malformed(reason: problem))
                    resetHeaders()
                    state = .resync
                }
                if headerBytes > Self.maxHeaderBytes, case .headers = state {
                    try emit(.malformed(reason: "header block longer than \(Self.maxHeaderBytes) bytes"))
                    resetHeaders()
                    state = .resync
                }

            case .body(let length):
                if n - i < length { return i }
                try emit(.message(Array(p[i..<(i + length)])))
                i += length
                state = .headers

            case .skipBody(let remaining):
                let k = min(remaining, n - i)
                i += k
                if k < remaining {
                    state = .skipBody(remaining: remaining - k)
                    return i
                }
                state = .headers

            case .resync:
                // Look for the next "Content-Length:" anywhere (a body is not newline-terminated, so the
                // next header may follow it on the same line). Keep a tail that could be a split match.
                if let at = find(contentLengthPattern, in: p, from: i) {
                    i = at
                    state = .headers
                } else {
                    return max(i, n - (contentLengthPattern.count - 1))
                }
            }
        }
    }

    /// Reads one header line into the block's state; returns the problem if the line is not a header.
    private mutating func header(_ line: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return "malformed header line (no ':')"
        }
        let name = line[line.startIndex..<colon]
        if name.isEmpty || !name.allSatisfy(isTokenByte) { return "malformed header name" }
        guard equalsIgnoringCase(name, contentLengthName) else { return nil }  // other headers are ignored
        var value = line[(colon + 1)...]
        while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
        guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return "invalid Content-Length value"
        }
        let length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
        if let previous = contentLength, previous != length { return "conflicting Content-Length headers" }
        contentLength = length
        return nil
    }

    private mutating func resetHeaders() {
        contentLength = nil
        headerBytes = 0
        sawHeader = false
        scanned = 0
    }

    // MARK: - Byte helpers

    private let contentLengthName: [UInt8] = Array("content-length".utf8)
    private let contentLengthPattern: [UInt8] = Array("content-length:".utf8)

    private func newline(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < p.count, let base = p.baseAddress else { return nil }
        guard let hit = memchr(base + start, 0x0A, p.count - start) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    private func find(_ pattern: [UInt8], in p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let m = pattern.count
        guard p.count - start >= m else { return nil }
        var i = start
        while i <= p.count - m {
            if lower(p[i]) == pattern[0] {
                var k = 1
                while k < m, lower(p[i + k]) == pattern[k] { k += 1 }
                if k == m { return i }
            }
            i += 1
        }
        return nil
    }

    private func equalsIgnoringCase<C: Collection<UInt8>>(_ a: C, _ b: [UInt8]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == $1 }
    }

    private func trimLineEnd<C: BidirectionalCollection<UInt8>>(_ line: C) -> C.SubSequence {
        line.last == 0x0D ? line.dropLast() : line[...]
    }

    private func isBlank<C: Collection<UInt8>>(_ bytes: C) -> Bool { bytes.allSatisfy(isSpace) }
}

private func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

private func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

/// RFC 9110 token characters: what a header name may contain (a JSON text never parses as one).
private func isTokenByte(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
         UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
         UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default:
        return false
    }
}
