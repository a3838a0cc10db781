import Base
import Validation

/// The two kinds of value analytics read from a streamed CSV record, parsed from the field's bytes exactly as the
/// validator parses them (no String per row: trades.csv can have a million rows).
extension CSVReader {
    /// The field's finite number, or nil (empty, null spellings, text, NaN, ±inf).
    func finiteNumber(_ k: Int) -> Double? {
        guard k < fieldCount, let v = withField(k, { DecimalParser.parse($0) }), v.double.isFinite else { return nil }
        return v.double
    }

    /// The calendar day a `YYYY-MM-DD` field starts with (a time after `T` or a space is ignored), or nil.
    func civilDay(_ k: Int) -> CivilDate? {
        guard k < fieldCount else { return nil }
        return withField(k) { CivilDate.parse($0) }
    }

    /// The header's column names as analytics looks them up: trimmed and lowercased.
    func columnNames() -> [String] {
        strings().map { $0.trimmingSpaces().lowercased() }
    }
}
