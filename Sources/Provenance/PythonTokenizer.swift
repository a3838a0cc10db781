/// A deliberately small Python tokenizer: just enough to find import statements reliably.
///
/// It knows what can hide an `import` keyword — comments, every string form (single, triple-quoted, raw,
/// bytes, f-strings including 3.12's same-quote nesting) — and what joins physical lines into one logical
/// line (brackets, backslash continuations). Everything else becomes an opaque `.other` token. It never
/// fails: malformed source (an unterminated string) simply ends the token stream, as scanning a broken file
/// should find what it can rather than throw.
struct PythonTokenizer {
    /// The tokens the import scanner cares about.
    enum Token: Equatable {
        case name(String)
        case dot
        case comma
        case star
        case open  // ( [ {
        case close  // ) ] }
        case colon
        case semicolon
        /// End of a logical line (a newline outside brackets).
        case newline
        /// A string literal, number or operator.
        case other
    }

    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0
    private(set) var line = 1

    init(_ source: String) { bytes = Array(source.utf8) }

    /// Tokens with the line each starts on.
    static func tokenize(_ source: String) -> [(token: Token, line: Int)] {
        var t = PythonTokenizer(source)
        // Labelled like the return type: an unlabelled array would be converted element by element.
        var out: [(token: Token, line: Int)] = []
        out.reserveCapacity(t.bytes.count / 4)
        while let (token, line) = t.next() { out.append((token: token, line: line)) }
        return out
    }

    mutating func next() -> (Token, Int)? {
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case 0x20, 0x09, 0x0C, 0x0D:
                i += 1
            case 0x0A:
                i += 1
                line += 1
                if depth == 0 { return (.newline, line - 1) }
            case UInt8(ascii: "#"):
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            case UInt8(ascii: "\\"):
                // Line continuation: the newline after it does not end the logical line.
                i += 1
                if i < bytes.count && bytes[i] == 0x0D { i += 1 }
                if i < bytes.count && bytes[i] == 0x0A { i += 1; line += 1 }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let start = line
                skipString(prefixIsRaw: false, isFormat: false)
                return (.other, start)
            case UInt8(ascii: "."): i += 1; return (.dot, line)
            case UInt8(ascii: ","): i += 1; return (.comma, line)
            case UInt8(ascii: "*"): i += 1; return (.star, line)
            case UInt8(ascii: ":"): i += 1; return (.colon, line)
            case UInt8(ascii: ";"): i += 1; return (.semicolon, line)
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                i += 1; depth += 1; return (.open, line)
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                i += 1; depth = max(0, depth - 1); return (.close, line)
            default:
                if isIdentifierStart(c) {
                    let start = i, startLine = line
                    if skipNameOrPrefixedString() { return (.other, startLine) }
                    return (.name(String(decoding: bytes[start..<i], as: UTF8.self)), line)
                }
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                    // Numbers may contain dots (1.5) and letters (1e3, 0x1F); swallow them whole so that the
                    // dot is not read as an attribute access.
                    while i < bytes.count && (isIdentifierContinue(bytes[i]) || bytes[i] == UInt8(ascii: ".")) { i += 1 }
                    return (.other, line)
                }
                i += 1
                return (.other, line)
            }
        }
        return nil
    }

    private func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c >= 0x80
    }

    private func isIdentifierContinue(_ c: UInt8) -> Bool { isIdentifierStart(c) || (c >= 0x30 && c <= 0x39) }

    /// Recognises r, b, u, f, t and their two-letter combinations in any case.
    /// Moves past the name at `i`; when the name is a string prefix (`r`, `b`, `f`, `rb`, ...) directly followed
    /// by a quote, past that string too, and says so.
    @discardableResult
    private mutating func skipNameOrPrefixedString() -> Bool {
        let start = i
        while i < bytes.count && isIdentifierContinue(bytes[i]) { i += 1 }
        // A short run of prefix letters directly followed by a quote is a string prefix.
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'"), i - start <= 3,
              let (raw, format) = stringPrefix(bytes[start..<i]) else { return false }
        skipString(prefixIsRaw: raw, isFormat: format)
        return true
    }

    private func stringPrefix(_ p: ArraySlice<UInt8>) -> (raw: Bool, format: Bool)? {
        var raw = false, format = false
        for c in p {
            switch c | 0x20 {
            case UInt8(ascii: "r"): raw = true
            case UInt8(ascii: "f"), UInt8(ascii: "t"): format = true
            case UInt8(ascii: "b"), UInt8(ascii: "u"): break
            default: return nil
            }
        }
        return (raw, format)
    }

    /// Skips a string literal starting at the opening quote at `i`.
    private mutating func skipString(prefixIsRaw raw: Bool, isFormat: Bool) {
        let quote = bytes[i]
        let triple = i + 2 < bytes.count && bytes[i + 1] == quote && bytes[i + 2] == quote
        i += triple ? 3 : 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") {
                // Even in a raw string a backslash keeps the next quote from closing it.
                i += 1
                if i < bytes.count {
                    if bytes[i] == 0x0A { line += 1 }
                    i += 1
                }
                continue
            }
            if c == 0x0A {
                line += 1
                // A newline ends an unterminated single-quoted string: resynchronise there.
                if !triple { return }
                i += 1
                continue
            }
            if c == quote {
                if !triple { i += 1; return }
                if i + 2 < bytes.count && bytes[i + 1] == quote && bytes[i + 2] == quote { i += 3; return }
                i += 1
                continue
            }
            if isFormat && c == UInt8(ascii: "{") {
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "{") { i += 2; continue }
                i += 1
                skipReplacementField()
                continue
            }
            i += 1
        }
        _ = raw
    }

    /// Skips a format spec up to and including the `}` that closes its replacement field.
    private mutating func skipFormatSpec() {
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            switch c {
            case UInt8(ascii: "{"): skipReplacementField()
            case UInt8(ascii: "}"): return
            case 0x0A: line += 1
            default: break
            }
        }
    }

    /// Skips an f-string replacement field after its `{`, up to and including the matching `}`. The
    /// expression may contain strings with the same quotes as the enclosing f-string (Python 3.12) and
    /// nested brackets; a format spec after a top-level `:` is literal text (`{x:'>10}` has no string in it)
    /// except for nested fields.
    private mutating func skipReplacementField() {
        var nesting = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: ":") where nesting == 0:
                i += 1
                skipFormatSpec()
                return
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                skipString(prefixIsRaw: false, isFormat: false)
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
                nesting += 1; i += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"):
                nesting = max(0, nesting - 1); i += 1
            case UInt8(ascii: "}"):
                i += 1
                if nesting == 0 { return }
                nesting -= 1
            case 0x0A:
                line += 1; i += 1
            default:
                if isIdentifierStart(c) {
                    skipNameOrPrefixedString()
                } else {
                    i += 1
                }
            }
        }
    }
}
