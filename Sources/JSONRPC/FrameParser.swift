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
///   (`.malformed`). Either way the stream stays in sync.
/// - LSP recovery: a `Content-Length` can lie (too small, too large, absurd, a header without its blank
///   line), and a lie must not cost the frames after it. So after any failure the parser resynchronises on
///   the next header line `Content-Length: N` found from *inside* the failed region: the bad header line,
///   the body that did not parse (`feed(_:judging:)`), or the oversize frame, which is scanned rather than
///   skipped by its count (a count of 10^18 would make the session deaf). No JSON text contains such a line
///   (a raw line break cannot sit inside a JSON string, and letters outside strings spell only
///   true/false/null), so a body that does is known to be a lie before it is complete: the parser reports it
///   at once instead of waiting for bytes that may never come.
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
        /// Looking for the next `Content-Length: N` line; everything before it is dropped.
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

    /// Consumes `chunk`, calling `emit` for every event, in stream order. Every body counts as accepted.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ emit: (Event) throws -> Void) rethrows {
        try feed(chunk, judging: { try emit($0); return true })
    }

    /// Like `feed(_:_:)`, for a consumer that parses each body as it comes: `judge` returns false for a
    /// `.message` that is not JSON, and LSP framing then resynchronises from the start of that body (its
    /// length lied; a too-large one has swallowed the next header). Its answer for other events is ignored.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, judging judge: (Event) throws -> Bool) rethrows {
        let bytes = chunk.bindMemory(to: UInt8.self)
        if pending.isEmpty {
            // Common case: parse straight from the caller's buffer, keep only the unfinished tail.
            let used = try process(bytes, judge)
            if used < bytes.count { pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[used...])) }
        } else {
            pending.append(contentsOf: bytes)
            var buffer = pending
            pending = []
            let used = try buffer.withUnsafeBufferPointer { try process($0, judge) }
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

    /// Convenience for tests: `feed(_:judging:)` with `accepts` judging each message body.
    public mutating func feed(_ bytes: [UInt8], accepting accepts: ([UInt8]) -> Bool) -> [Event] {
        var out: [Event] = []
        bytes.withUnsafeBytes {
            feed($0, judging: { event in
                out.append(event)
                if case .message(let body) = event { return accepts(body) }
                return true
            })
        }
        return out
    }

    /// End of input: whatever is left becomes a last message (an NDJSON line without `\n`) or an error.
    public mutating func finish() -> [Event] {
        defer { pending = []; scanned = 0 }
        switch state {
        case .detect, .resync:
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

    /// Parses as much of `p` as forms complete frames; returns how many bytes were consumed. `judge` gets
    /// every event and says whether a `.message` was accepted.
    private mutating func process(_ p: UnsafeBufferPointer<UInt8>, _ judge: (Event) throws -> Bool) rethrows -> Int {
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
                    // A last "\r" may be the first half of a "\r\n" line end, not part of the line.
                    if n - i > maxMessageSize + 1 || (n - i == maxMessageSize + 1 && p[n - 1] != 0x0D) {
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
                    _ = try judge(.tooLarge(size: line.count))
                } else if !isBlank(line) {
                    _ = try judge(.message(Array(line)))
                }

            case .skipLine(let size, let endsWithCR):
                guard let nl = newline(p, from: i) else {
                    if i < n { state = .skipLine(size: size + n - i, endsWithCR: p[n - 1] == 0x0D) }
                    return n
                }
                var total = size + nl - i
                if nl > i ? p[nl - 1] == 0x0D : endsWithCR { total -= 1 }
                _ = try judge(.tooLarge(size: total))
                i = nl + 1
                state = .line

            case .headers:
                if !sawHeader {
                    // Blank lines and spaces between frames (some clients end a body with "\r\n").
                    while i < n, isSpace(p[i]) { i += 1 }
                    if i == n { return i }
                }
                let lineStart = i
                guard let nl = newline(p, from: i + scanned) else {
                    if headerBytes + n - i > Self.maxHeaderBytes {
                        _ = try judge(.malformed(reason: "header block longer than \(Self.maxHeaderBytes) bytes"))
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
                        _ = try judge(.malformed(reason: "header block without Content-Length"))
                        state = .resync
                        continue
                    }
                    if length > maxMessageSize {
                        // Not skipped by its count, which may be absurd: scanned for the next header.
                        _ = try judge(.tooLarge(size: length))
                        state = .resync
                    } else {
                        state = .body(length: length)
                    }
                    continue
                }
                sawHeader = true
                if let problem = header(line) ?? runTogether(p, lineStart, nl) {
                    _ = try judge(.malformed(reason: problem))
                    resetHeaders()
                    // From the bad line itself: a header without its blank line runs into the next frame's
                    // header on this line ("{...}Content-Length: 42"), and a conflicting Content-Length may
                    // be the first line of the next frame.
                    i = lineStart
                    state = .resync
                }
                if headerBytes > Self.maxHeaderBytes, case .headers = state {
                    _ = try judge(.malformed(reason: "header block longer than \(Self.maxHeaderBytes) bytes"))
                    resetHeaders()
                    state = .resync
                }

            case .body(let length):
                // A header line inside the body: the length was too large. Looked for in what has arrived
                // while the body is incomplete, and once more in the complete body (where the line must end
                // before its last byte, as it must have to be seen earlier): so the outcome does not depend
                // on how the input was cut into reads.
                let complete = n - i >= length
                let seen = complete ? UnsafeBufferPointer(rebasing: p[..<(i + max(length - 1, 0))]) : p
                switch findHeaderLine(seen, from: i + scanned) {
                case .found(let at):
                    _ = try judge(.malformed(reason: "Content-Length \(length) runs into the next header, "
                                        + "\(at - i) bytes into the body"))
                    i = at
                    resetHeaders()
                    state = .headers
                    continue
                case .notFound(let resumeAt):
                    if !complete {
                        scanned = resumeAt - i
                        return i
                    }
                }
                scanned = 0
                if try judge(.message(Array(p[i..<(i + length)]))) {
                    i += length
                    state = .headers
                } else {
                    // Not JSON: the length lied. Look for the next header from the body's first byte on
                    // (the header block before it is consumed, so this always makes progress).
                    state = .resync
                }

            case .resync:
                switch findHeaderLine(p, from: i) {
                case .found(let at):
                    i = at
                    resetHeaders()
                    state = .headers
                case .notFound(let resumeAt):
                    return resumeAt
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
        guard let length = contentLengthValue(line[(colon + 1)...]) else { return "invalid Content-Length value" }
        if let previous = contentLength, previous != length { return "conflicting Content-Length headers" }
        contentLength = length
        return nil
    }

    /// A header line with a `Content-Length: N` line inside it, after its first byte, is two lines run
    /// together: a client's header (or its garbage) lost its line end, and the next frame's header would
    /// otherwise be read as this line's value (`X-Junk: Content-Length: 42`) and lost with it.
    private func runTogether(_ p: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ nl: Int) -> String? {
        guard case .found = findHeaderLine(UnsafeBufferPointer(rebasing: p[..<(nl + 1)]), from: lineStart + 1) else {
            return nil
        }
        return "a header line runs into a Content-Length header (a line end is missing)"
    }

    /// A Content-Length value: 1 to 18 digits between optional spaces and tabs (18 digits cannot overflow).
    private func contentLengthValue(_ raw: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var value = raw
        while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
        guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return value.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    private enum HeaderSearch {
        case found(Int)
        /// None in the bytes so far; everything before `resumeAt` can be dropped (a match may start there).
        case notFound(resumeAt: Int)
    }

    /// The next line `Content-Length: N` (a valid value, then the line end) from `start`, its name anywhere,
    /// not only at a line start: a body is not newline-terminated, so the next header may follow it on the
    /// same line. A name with a bad value (`Content-Length: 42{"jsonrpc"...`) is passed over, so a search
    /// that starts on a bad line always moves on.
    private func findHeaderLine(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> HeaderSearch {
        var from = start
        while let at = findContentLengthName(p, from: from) {
            let valueStart = at + contentLengthPattern.count
            // A real value line is short; past this many bytes without a line end it is not one.
            let limit = min(p.count, valueStart + 64)
            guard let nl = newline(UnsafeBufferPointer(rebasing: p[..<limit]), from: valueStart) else {
                if limit == p.count { return .notFound(resumeAt: at) }  // wait for the rest of the line
                from = at + 1
                continue
            }
            if contentLengthValue(trimLineEnd(p[valueStart..<nl])) != nil { return .found(at) }
            from = at + 1
        }
        return .notFound(resumeAt: max(from, p.count - (contentLengthPattern.count - 1)))
    }

    /// Where the next `content-length:` (any case) starts: `memchr` for the colon, then the name before it,
    /// so that scanning a large body costs little more than `memchr` over it.
    private func findContentLengthName(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let m = contentLengthPattern.count
        guard let base = p.baseAddress else { return nil }
        var colonFrom = start + m - 1
        while colonFrom < p.count {
            guard let hit = memchr(base + colonFrom, 0x3A, p.count - colonFrom) else { return nil }
            let colon = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if equalsIgnoringCase(p[(colon - m + 1)..<colon], contentLengthName) { return colon - m + 1 }
            colonFrom = colon + 1
        }
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
