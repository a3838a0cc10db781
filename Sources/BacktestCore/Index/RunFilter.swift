/// A parsed `where`: which runs a search keeps. The language is documented in docs/search.md; the parser is
/// `RunFilterParser`, the SQL it becomes `RunFilter+SQL.swift`.
public indirect enum RunFilter: Sendable, Equatable {
    /// Every part holds (`and`).
    case all([RunFilter])
    /// At least one part holds (`or`).
    case any([RunFilter])
    case compare(RunField, Comparison, Value)
    /// `field in (v1, v2, ...)`: equal to one of the values.
    case oneOf(RunField, [Value])
    /// `tags.<name>`: the run carries this tag.
    case hasTag(String)

    public enum Comparison: String, Sendable {
        case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

        /// Whether it asks for an order (which statuses, booleans and null do not have).
        var isOrdering: Bool { self != .equal && self != .notEqual }
    }

    /// A literal of the text. A number compares by value (with numbers, and with strings that read as one);
    /// a string, true and false compare as text; null stands for "no value" (docs/search.md).
    public enum Value: Sendable, Equatable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case null
    }

    /// Parses a `where` text; nil when it is blank (no filter).
    public static func parse(_ text: String) throws(SearchSyntaxError) -> RunFilter? {
        try RunFilterParser.parse(text)
    }
}
