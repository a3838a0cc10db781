import Base
import JSON
import Provenance

/// Reads a `summary.csv` (`metric,value` rows) into ordered metrics.
public enum SummaryMetrics {
    /// The metrics in file order. Values that are numbers in the strict sense become JSON numbers (integers
    /// stay integers); everything else (`2024-01-01`, `n/a`, `nan`) stays text, since JSON has no NaN and a
    /// date is not a number. A later row for the same metric replaces the earlier one.
    public static func read(path: String) throws -> JSONObject {
        parse(try FileSystem.readFile(path, limit: 16 << 20))
    }

    public static func parse(_ bytes: [UInt8]) -> JSONObject {
        var out = JSONObject()
        for (name, text) in texts(bytes) { out[name] = value(text) }
        return out
    }

    /// The metric names with their values as written (for CSV output that keeps `487.10` as it was).
    static func texts(_ bytes: [UInt8]) -> [(name: String, text: String)] {
        var rows = CSVText.rows(bytes)
        if let header = rows.first, header.first?.trimmingSpaces().lowercased() == "metric" { rows.removeFirst() }
        var out: [(String, String)] = []
        for row in rows where !row.isEmpty {
            let name = row[0].trimmingSpaces()
            if !name.isEmpty { out.append((name, row.count > 1 ? row[1] : "")) }
        }
        return out
    }

    /// A cell as a JSON value: integer, finite double, or string.
    public static func value(_ text: String) -> JSONValue {
        let t = text.trimmingSpaces()
        guard !t.isEmpty else { return .string(text) }
        // Only plain decimal notation counts: Swift's Double() also reads "0x1p3", "inf" and "nan".
        let allowed = t.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+")
            || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        guard allowed, t.utf8.contains(where: { $0 >= 48 && $0 <= 57 }) else { return .string(text) }
        if let i = Int64(t) { return .int(i) }
        if let d = Double(t), d.isFinite { return .double(d) }
        return .string(text)
    }
}
