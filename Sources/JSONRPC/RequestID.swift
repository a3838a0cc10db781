import JSON

/// A request id, kept as the JSON text the client wrote. JSON-RPC 2.0 allows a string, any number and
/// null, and a client matches an answer to its request by the id it sent, so the answer must carry the
/// same text: `1.5`, `2e3`, `-0.0`, `18446744073709551616` (past 64 bits), `"a\ud800"` (a lone surrogate,
/// which no decoded string can hold). Parsing and writing it again would give `1500.0` or `"a\u{FFFD}"`.
///
/// Two ids are the same request (a duplicate in flight, the target of `$/cancelRequest`) when their texts
/// are the same.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    /// The id's JSON text, exactly as the client wrote it when it came from a message.
    public let text: String
    /// The id as a value (what `requestCancelled` puts in `data`; a lone surrogate reads as U+FFFD there).
    public let json: JSONValue

    /// The id from its value; nil when it is not a string, a number or null. A string's text is how
    /// `JSONWriter` spells it (which is how the client wrote it when the message held no backslash), a
    /// number's is its literal when the parser kept one.
    public init?(json: JSONValue) {
        switch json {
        case .null: text = "null"
        case .int(let i): text = String(i)
        case .number(let n): text = n.text
        case .double, .string: text = JSONWriter.string(json)
        case .bool, .array, .object: return nil
        }
        self.json = json
    }

    /// The id with the text the client wrote (read back from the message: see `MessageSource`).
    init(json: JSONValue, text: String) {
        self.json = json
        self.text = text
    }

    public static func int(_ i: Int64) -> RequestID { RequestID(json: .int(i))! }

    public static func string(_ s: String) -> RequestID { RequestID(json: .string(s))! }

    public static func == (a: RequestID, b: RequestID) -> Bool { a.text == b.text }

    public func hash(into h: inout Hasher) { h.combine(text) }

    public var description: String { text }
}
