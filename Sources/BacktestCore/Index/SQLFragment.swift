/// SQL text and the values bound to its `?`s, in order. Values are always bound, never written into the
/// text: a search is the client's text.
struct SQLFragment {
    var sql: String
    var values: [SQLiteConnection.Value] = []

    static let never = SQLFragment(sql: "0")
    static let always = SQLFragment(sql: "1")
    static let empty = SQLFragment(sql: "")

    /// `(a AND b ...)`; one part stands as it is, none is nil.
    static func joined(_ parts: [SQLFragment], _ separator: String) -> SQLFragment? {
        guard parts.count > 1 else { return parts.first }
        return SQLFragment(sql: "(" + parts.map(\.sql).joined(separator: separator) + ")", values: parts.flatMap(\.values))
    }

    static func + (a: SQLFragment, b: SQLFragment) -> SQLFragment {
        SQLFragment(sql: a.sql + b.sql, values: a.values + b.values)
    }
}
