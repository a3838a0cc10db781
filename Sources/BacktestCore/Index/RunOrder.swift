/// A parsed `order_by`: `metrics.sharpe desc`, `params.fast asc, created_at`. Keys compare in turn; a run
/// lacking a key sorts after those that have it, whichever the direction; ties end newest first.
public struct RunOrder: Sendable, Equatable {
    public struct Key: Sendable, Equatable {
        public var field: RunField
        public var descending: Bool

        public init(_ field: RunField, descending: Bool = false) {
            self.field = field
            self.descending = descending
        }
    }

    public var keys: [Key]

    public init(_ keys: [Key]) { self.keys = keys }

    /// At most this many keys: each is a join in the page query.
    public static let maxKeys = 4
    static let field = "order_by"

    /// Parses `key [asc|desc] {, key [asc|desc]}` (asc when not said); nil when the text is blank.
    public static func parse(_ text: String) throws(SearchSyntaxError) -> RunOrder? {
        var lexer = SearchLexer(text, field: field)
        var t = try lexer.next()
        guard t.kind != .end else { return nil }
        var keys: [Key] = []
        while true {
            guard keys.count < maxKeys else { throw error(t, "the end (at most \(maxKeys) keys)") }
            guard let f = RunField(t.kind) else { throw error(t, RunField.expectedSortable) }
            var key = Key(f)
            t = try lexer.next()
            if let k = t.keyword, k == "asc" || k == "desc" {
                key.descending = k == "desc"
                t = try lexer.next()
            }
            keys.append(key)
            if t.kind == .end { return RunOrder(keys) }
            guard t.kind == .comma else { throw error(t, "asc, desc, a , or the end") }
            t = try lexer.next()
        }
    }

    private static func error(_ t: SearchToken, _ expected: String) -> SearchSyntaxError {
        SearchSyntaxError(field: field, position: t.position, expected: expected, got: t.quoted)
    }
}
