/// A `where` or `order_by` text that does not parse: where reading stopped and what would have been read
/// there. Positions count Unicode code points from 0 (a Python `str` index), so a client can point at the
/// spot in the text it sent.
public struct SearchSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The param the text came in: `where` or `order_by`.
    public var field: String
    public var position: Int
    /// What the grammar allows at `position` ("an operator (=, !=, <, <=, >, >=, in)").
    public var expected: String
    /// The text found there, or `end of input`.
    public var got: String

    public init(field: String, position: Int, expected: String, got: String) {
        self.field = field; self.position = position; self.expected = expected; self.got = got
    }

    public var description: String { "\(field): expected \(expected) at position \(position), got \(got)" }
}
