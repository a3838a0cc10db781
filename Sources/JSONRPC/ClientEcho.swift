import JSON

/// What an error may echo of the client's own input. Echoing shows a client what was refused (`got`, the
/// method name, the id), but input can be 60 MB (a `run_id`, a method name, a param name), and an error is
/// no place to send it back, twice (in `message` and in `data`). Long text is cut to its first 200
/// characters plus "…(N bytes)", which says both what it began with and how big it was.
public enum ClientEcho {
    /// How much of a client's text an error repeats.
    public static let maxCharacters = 200

    /// A backstop for every error the server sends, whoever built it: a string in `message` or `data` longer
    /// than this many bytes is cut to this many characters. Generous (PATH_MAX), so that no diagnostic the
    /// server writes itself (a path, a reason) is cut; it bounds what a handler echoes without `text(_:)`.
    public static let maxErrorTextBytes = 4096

    /// `s`, or its first `limit` characters (Unicode scalars, so that a single huge grapheme cannot make
    /// the cut cost a scan) plus "…(N bytes)".
    public static func text(_ s: String, limit: Int = maxCharacters) -> String {
        guard s.utf8.count > limit else { return s }  // O(1) for native strings; fewer bytes, fewer characters
        let scalars = s.unicodeScalars
        guard let cut = scalars.index(scalars.startIndex, offsetBy: limit, limitedBy: scalars.endIndex),
              cut != scalars.endIndex else { return s }
        return String(scalars[..<cut]) + "…(\(s.utf8.count) bytes)"
    }

    /// A value to echo as `got`: scalars as they are (long strings and number literals cut), containers by
    /// their type name (an object may hold anything, of any size).
    public static func value(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(text(s))
        case .number(let n) where n.text.utf8.count > maxCharacters: return .string(text(n.text))
        case .null, .bool, .int, .double, .number: return v
        case .array: return .string("array")
        case .object: return .string("object")
        }
    }

    /// `error` with every string of its message and data (names too) held to `maxErrorTextBytes`.
    static func bounded(_ error: RPCError) -> RPCError {
        var e = error
        e.message = text(error.message, limit: maxErrorTextBytes)
        e.data = error.data.map(bounded)
        return e
    }

    private static func bounded(_ v: JSONValue) -> JSONValue {
        let limit = maxErrorTextBytes
        switch v {
        case .string(let s): return .string(text(s, limit: limit))
        case .number(let n) where n.text.utf8.count > limit: return .string(text(n.text, limit: limit))
        case .array(let a): return .array(a.map(bounded))
        case .object(let o): return .object(JSONObject(pairs: o.map { (text($0.key, limit: limit), bounded($0.value)) }))
        case .null, .bool, .int, .double, .number: return v
        }
    }
}
