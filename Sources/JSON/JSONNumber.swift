/// A number exactly as it was written (`1.50`, `2e3`, `-0`, `18446744073709551616`): what
/// `JSONParser.parse(_:keepingNumberText:)` keeps for every number that `.int` cannot spell back the same.
///
/// Why: JSON leaves a number's spelling to the writer, but a JSON-RPC server must echo an id exactly as the
/// client sent it, and scripts are to receive their params as written (`1e6`, not `1000000.0`). The text is
/// kept once, here, so every layer reads the same literal.
///
/// Everywhere else the number is the `.int` or `.double` the plain parser reads from the same text
/// (`value`): equality, hashing, `intValue`/`doubleValue` and, by default, `JSONWriter`. Code that never asks
/// for the text sees no difference.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal, byte for byte as written (valid JSON number syntax: only the parser makes one unchecked).
    public let text: String

    /// For the parser, which has already checked the syntax.
    init(unchecked text: String) { self.text = text }

    /// A number from its JSON text; nil when `text` is not exactly one JSON number.
    public init?(_ text: String) {
        // The parser allows space around a value; a literal has none (it ends in a digit either way).
        guard let last = text.utf8.last, last >= UInt8(ascii: "0"), last <= UInt8(ascii: "9"),
              let first = text.utf8.first, first != 0x20, first != 0x09, first != 0x0A, first != 0x0D else { return nil }
        switch try? JSONParser.parse(text, keepingNumberText: true) {
        case .number(let n)?: self = n
        case .int?: self.text = text
        default: return nil
        }
    }

    /// What the plain parser reads from the same text: `.int` for an integer literal that fits 64 bits
    /// (`-0` is 0), else `.double` (rounded to the nearest double, as JSON readers do).
    public var value: JSONValue {
        if isIntegerLiteral, let i = Int64(text) { return .int(i) }
        return .double(Double(text) ?? .nan)
    }

    /// No fraction and no exponent: `12`, `-0`, `18446744073709551616`.
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    public var description: String { text }
}
