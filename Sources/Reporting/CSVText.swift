/// The small amount of RFC 4180 CSV reporting reads (summary.csv, pnl.csv) and writes (compare tables).
/// The full streamed validator lives in the Validation module; these files are small and only need
/// correct field splitting.
package enum CSVText {
    /// Splits CSV text into rows of fields: `,` separators, `"` quoting with `""` escapes, quoted fields
    /// may span lines, `\r\n` or `\n` line ends; blank lines are skipped. An unterminated quote runs to
    /// the end (the validator reports that defect; here we take what there is).
    package static func rows(_ bytes: [UInt8]) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var fieldStarted = false
        var i = 0
        let n = bytes.count
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRow() {
            endField()
            if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
            row.removeAll(keepingCapacity: true)
        }
        while i < n {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < n && bytes[i + 1] == UInt8(ascii: "\"") { field.append(c); i += 2; continue }
                    inQuotes = false
                } else {
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\"") where !fieldStarted && field.isEmpty:
                inQuotes = true
                fieldStarted = true
            case UInt8(ascii: ","):
                endField()
            case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                endRow()
            default:
                field.append(c)
                fieldStarted = true
            }
            i += 1
        }
        if fieldStarted || !field.isEmpty || !row.isEmpty { endRow() }
        return rows
    }

    /// A field as RFC 4180 wants it: quoted (with `"` doubled) when it holds a comma, a quote, a line break
    /// or leading/trailing spaces; as is otherwise.
    package static func quote(_ field: String) -> String {
        let needs = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || field.first == " " || field.last == " "
        guard needs else { return field }
        var out = "\""
        for ch in field { if ch == "\"" { out += "\"\"" } else { out.append(ch) } }
        return out + "\""
    }

    /// A line of fields, `\r\n`-terminated as RFC 4180 says.
    package static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\r\n"
    }
}
