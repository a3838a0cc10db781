import Base

/// Reads a `where` text into a `RunFilter`, by recursive descent over the grammar of docs/search.md:
///
///     filter     = conjunction { "or" conjunction }
///     conjunction = term { "and" term }
///     term       = "(" filter ")" | "tags." name | field comparison value | field "in" "(" value { "," value } ")"
///
/// Values are checked against their field here, where the value's position is known, so that a mistake is
/// reported where it was made rather than as a search that quietly matches nothing.
struct RunFilterParser {
    private var lexer: SearchLexer
    private var current: SearchToken

    static let field = "where"

    static func parse(_ text: String) throws(SearchSyntaxError) -> RunFilter? {
        var p = try RunFilterParser(text)
        guard p.current.kind != .end else { return nil }
        let filter = try p.disjunction()
        guard p.current.kind == .end else { throw p.error("and, or, or the end of the filter") }
        return filter
    }

    private init(_ text: String) throws(SearchSyntaxError) {
        lexer = SearchLexer(text, field: Self.field)
        current = try lexer.next()
    }

    // MARK: grammar

    private mutating func disjunction() throws(SearchSyntaxError) -> RunFilter {
        var parts = [try conjunction()]
        while current.keyword == "or" {
            try advance()
            parts.append(try conjunction())
        }
        return parts.count == 1 ? parts[0] : .any(parts)
    }

    private mutating func conjunction() throws(SearchSyntaxError) -> RunFilter {
        var parts = [try term()]
        while current.keyword == "and" {
            try advance()
            parts.append(try term())
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    private mutating func term() throws(SearchSyntaxError) -> RunFilter {
        guard current.kind == .openParen else { return try condition() }
        try advance()
        let inner = try disjunction()
        try expect(.closeParen, "a )")
        return inner
    }

    private mutating func condition() throws(SearchSyntaxError) -> RunFilter {
        if case .path(head: "tags", name: let tag) = current.kind {
            try advance()
            return .hasTag(tag)
        }
        guard let field = RunField(current.kind) else { throw error(RunField.expected) }
        try advance()
        if current.keyword == "in" {
            try advance()
            return .oneOf(field, try list(of: field))
        }
        guard case .comparison(let op) = current.kind else { throw error("an operator (=, !=, <, <=, >, >=, in)") }
        if field == .status, op.isOrdering { throw error("=, != or in (statuses have no order)") }
        try advance()
        return .compare(field, op, try value(for: field, op))
    }

    /// `( v1, v2, ... )` after `in`.
    private mutating func list(of field: RunField) throws(SearchSyntaxError) -> [RunFilter.Value] {
        try expect(.openParen, "a ( starting the list of values")
        var values = [try value(for: field, nil)]
        while current.kind == .comma {
            try advance()
            values.append(try value(for: field, nil))
        }
        try expect(.closeParen, "a , or a ) ending the list")
        return values
    }

    /// A literal compared with `field` by `op` (nil: an item of an `in` list).
    private mutating func value(for field: RunField, _ op: RunFilter.Comparison?) throws(SearchSyntaxError) -> RunFilter.Value {
        let v: RunFilter.Value
        switch (current.kind, current.keyword) {
        case (.number(let n), _): v = .number(n)
        case (.string(let s), _): v = .string(s)
        case (_, "true"?): v = .bool(true)
        case (_, "false"?): v = .bool(false)
        case (_, "null"?): v = .null
        default: throw error("a value (a number, a \"string\", true, false or null)")
        }
        if let wrong = Self.mismatch(v, field, op) { throw error(wrong) }
        try advance()
        return v
    }

    /// What `field` takes instead of `v`, or nil when `v` fits.
    static func mismatch(_ v: RunFilter.Value, _ field: RunField, _ op: RunFilter.Comparison?) -> String? {
        switch (field, v) {
        case (.status, .string(let s)) where RunStatus(rawValue: s) != nil: return nil
        case (.status, _):
            return "a status in quotes (" + RunStatus.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case (.createdAt, .string(let s)) where ISOTime.parse(s) != nil: return nil
        case (.createdAt, _): return "an ISO 8601 time in quotes (\"2026-11-21T10:00:00Z\" or \"2026-11-21\")"
        case (.script, .string), (.runID, .string): return nil
        case (.script, _), (.runID, _): return "a string in quotes"
        case (_, .null) where op?.isOrdering == true: return "a number or a string (null compares only with =, != and in)"
        case (_, .bool) where op?.isOrdering == true:
            return "a number or a string (true and false compare only with =, != and in)"
        default: return nil
        }
    }

    // MARK: tokens

    private mutating func advance() throws(SearchSyntaxError) { current = try lexer.next() }

    private mutating func expect(_ kind: SearchToken.Kind, _ what: String) throws(SearchSyntaxError) {
        guard current.kind == kind else { throw error(what) }
        try advance()
    }

    private func error(_ expected: String) -> SearchSyntaxError {
        SearchSyntaxError(field: Self.field, position: current.position, expected: expected, got: current.quoted)
    }
}
