import JSON

/// A request id. JSON-RPC allows strings and numbers; numbers are kept as integers so that an id comes back
/// exactly as it was sent. Fractional ids and `null` are refused as invalid requests (the specification
/// discourages both, and neither can be echoed faithfully by every client).
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case int(Int64)
    case string(String)

    /// The id from its JSON form, or nil when it is not a string or an integer.
    public init?(json: JSONValue) {
        switch json {
        case .int(let i): self = .int(i)
        case .string(let s): self = .string(s)
        default: return nil
        }
    }

    /// The id as it goes on the wire.
    public var json: JSONValue {
        switch self {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return JSONWriter.string(.string(s))
        }
    }
}
