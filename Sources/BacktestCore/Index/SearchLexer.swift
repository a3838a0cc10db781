/// One token of a `where` or `order_by` text, with where it starts (in Unicode code points) and its text as
/// written, which errors quote.
struct SearchToken: Equatable {
    enum Kind: Equatable {
        /// A bare name: a keyword (`and`, `in`, `desc`...) or a field without a dot (`status`).
        case word(String)
        /// `head.name`: `params.fast`, ``metrics.`odd name` ``.
        case path(head: String, name: String)
        case number(Double)
        case string(String)
        case comparison(RunFilter.Comparison)
        case openParen, closeParen, comma
        /// A character no token starts with; the parser reports it with what it expected there.
        case stray
        case end
    }

    let kind: Kind
    let position: Int
    let text: String

    /// What an error quotes as `got`.
    var quoted: String { kind == .end ? "end of input" : text }

    /// The word as a keyword (keywords are case-insensitive), or nil.
    var keyword: String? { if case .word(let w) = kind { return w.lowercased() } else { return nil } }
}

/// Splits a search text into tokens, one at a time. It reports only what is wrong inside a token (an
/// unterminated string, `10abc`, `params.` with no name); what is wrong between tokens is the parser's to say.
struct SearchLexer {
    /// The param the text came in, for errors.
    let field: String
    private let s: [Unicode.Scalar]
    private var i = 0

    init(_ text: String, field: String) {
        s = Array(text.unicodeScalars)
        self.field = field
    }

    mutating func next() throws(SearchSyntaxError) -> SearchToken {
        while i < s.count, s[i].properties.isWhitespace { i += 1 }
        let start = i
        guard i < s.count else { return SearchToken(kind: .end, position: i, text: "") }
        let c = s[i]
        switch c {
        case "(": i += 1; return token(.openParen, start)
        case ")": i += 1; return token(.closeParen, start)
        case ",": i += 1; return token(.comma, start)
        case "=": i += 1; return token(.comparison(.equal), start)
        case "!" where peek(1) == "=": i += 2; return token(.comparison(.notEqual), start)
        case "<": return comparison(start, or: .less, orEqual: .lessOrEqual)
        case ">": return comparison(start, or: .greater, orEqual: .greaterOrEqual)
        case "\"", "'": return try string(start)
        default:
            if Self.isDigit(c) || startsSignedNumber() { return try number(start) }
            if Self.isNameCharacter(c) && c != "-" { return try word(start) }
            i += 1
            return token(.stray, start)
        }
    }

    // MARK: tokens

    private mutating func comparison(_ start: Int, or plain: RunFilter.Comparison,
                                     orEqual: RunFilter.Comparison) -> SearchToken {
        if peek(1) == "=" { i += 2; return token(.comparison(orEqual), start) }
        i += 1
        return token(.comparison(plain), start)
    }

    /// `"..."` or `'...'`; a backslash takes the next character as it is (`\"`, `\\`).
    private mutating func string(_ start: Int) throws(SearchSyntaxError) -> SearchToken {
        let quote = s[i]
        var out = String.UnicodeScalarView()
        i += 1
        while i < s.count, s[i] != quote {
            if s[i] == "\\", i + 1 < s.count { i += 1 }
            out.append(s[i])
            i += 1
        }
        guard i < s.count else {
            throw SearchSyntaxError(field: field, position: start, expected: "a closing \(quote) for this string",
                                    got: "end of input")
        }
        i += 1
        return token(.string(String(out)), start)
    }

    /// A decimal number: `10`, `-0.5`, `.5`, `1e6`. Glued to a name (`10abc`) it is no number at all.
    private mutating func number(_ start: Int) throws(SearchSyntaxError) -> SearchToken {
        if s[i] == "-" || s[i] == "+" { i += 1 }
        skipDigits()
        if i < s.count, s[i] == "." { i += 1; skipDigits() }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            let sign = i + 1 < s.count && (s[i + 1] == "+" || s[i + 1] == "-") ? 1 : 0
            if i + 1 + sign < s.count, Self.isDigit(s[i + 1 + sign]) { i += 1 + sign; skipDigits() }
        }
        var glued = false
        while i < s.count, Self.isNameCharacter(s[i]) || s[i] == "." { i += 1; glued = true }
        let text = self.text(start)
        guard !glued, let value = Double(text), value.isFinite else {
            throw SearchSyntaxError(field: field, position: start, expected: "a number", got: text)
        }
        return SearchToken(kind: .number(value), position: start, text: text)
    }

    /// A bare word, or `head.name` where the name is letters, digits, `_` and `-`, or anything in backquotes.
    private mutating func word(_ start: Int) throws(SearchSyntaxError) -> SearchToken {
        while i < s.count, Self.isNameCharacter(s[i]), s[i] != "-" { i += 1 }
        let head = text(start)
        guard i < s.count, s[i] == "." else { return SearchToken(kind: .word(head), position: start, text: head) }
        i += 1
        let name = i < s.count && s[i] == "`" ? try backquoted() : plainName()
        guard let name, !name.isEmpty else {
            let got = i < s.count ? String(s[i]) : "end of input"
            throw SearchSyntaxError(field: field, position: i, expected: "a name after \(head). (letters, digits, _ and -, or `any text`)", got: got)
        }
        return SearchToken(kind: .path(head: head, name: name), position: start, text: text(start))
    }

    private mutating func plainName() -> String? {
        let start = i
        while i < s.count, Self.isNameCharacter(s[i]) { i += 1 }
        return text(start)
    }

    /// `` `any text` ``; a doubled backquote inside stands for one.
    private mutating func backquoted() throws(SearchSyntaxError) -> String? {
        let start = i
        var out = String.UnicodeScalarView()
        i += 1
        while i < s.count {
            if s[i] == "`" {
                guard i + 1 < s.count, s[i + 1] == "`" else { i += 1; return String(out) }
                i += 1
            }
            out.append(s[i])
            i += 1
        }
        throw SearchSyntaxError(field: field, position: start, expected: "a closing ` for this name", got: "end of input")
    }

    // MARK: characters

    private func peek(_ ahead: Int) -> Unicode.Scalar? { i + ahead < s.count ? s[i + ahead] : nil }

    /// A sign or a dot that starts a number (`-1`, `+.5`, `.5`) rather than standing alone.
    private func startsSignedNumber() -> Bool {
        var k = i
        if s[k] == "-" || s[k] == "+" { k += 1 }
        if k < s.count, s[k] == "." { k += 1 }
        return k > i && k < s.count && Self.isDigit(s[k])
    }

    private mutating func skipDigits() { while i < s.count, Self.isDigit(s[i]) { i += 1 } }

    private func token(_ kind: SearchToken.Kind, _ start: Int) -> SearchToken {
        SearchToken(kind: kind, position: start, text: text(start))
    }

    private func text(_ start: Int) -> String { String(String.UnicodeScalarView(s[start..<i])) }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// Letters (any script), digits, `_` and `-`: what a dotted name may hold without backquotes.
    static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        isDigit(c) || c == "_" || c == "-" || c.properties.isAlphabetic
    }
}
