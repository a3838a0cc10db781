import Base
import JSON

/// A JSON file a check reads whole (metadata.json, a profile's `.json` files): its value, or what to report
/// about it. A parse error is reported on the line of the byte where the JSON breaks, so that an editor
/// lands there.
enum JSONFileRead {
    case value(JSONValue)
    /// It cannot be read, or is larger than the limit.
    case unreadable
    /// It is not JSON: the line, and `is not valid JSON: <reason> (byte <offset>)`.
    case invalid(line: Int, text: String)

    static func read(_ path: String, limit: Int) -> JSONFileRead {
        guard let file = try? ReadOnlyFile(path: path), let bytes = try? file.readAll(limit: limit) else { return .unreadable }
        do {
            return .value(try JSONParser.parse(bytes))
        } catch {
            let offset = min(error.offset, bytes.count)
            let line = 1 + bytes[0..<offset].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return .invalid(line: line, text: "is not valid JSON: \(error.reason) (byte \(error.offset))")
        }
    }
}
