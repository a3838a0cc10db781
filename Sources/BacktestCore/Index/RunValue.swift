import JSON

/// One row of the index's `run_values` table: a value of a run a search can name, under its key
/// (`params.fast`, `metrics.sharpe`, `sweep_id`, `tags.nightly`...).
///
/// `number` is set for numbers and for strings that read as a decimal number: params given on a command line
/// arrive as text (`"10"`), and `params.fast = 10` should find them as it finds 10 and 10.0. `text` is the
/// value as text: a string as it is, a number as it was written, `true`/`false`. A null, an array or an
/// object gives no row (a search cannot tell null from absent, docs/search.md).
struct RunValue: Equatable {
    let key: String
    let number: Double?
    let text: String?

    /// The rows of one record.
    static func rows(of r: RunRecord) -> [RunValue] {
        var out: [RunValue] = []
        for (prefix, members) in [("params.", r.params), ("metrics.", r.metrics ?? [:]), ("summary.", r.summary ?? [:])] {
            for (name, v) in members { if let row = RunValue(key: prefix + name, v) { out.append(row) } }
        }
        for (key, v) in [("sweep_id", r.sweepID), ("cached_from", r.cachedFrom), ("profile", r.profile)] {
            if let v { out.append(RunValue(key: key, number: number(inText: v), text: v)) }
        }
        // Tags are keys of their own, so that "has tag" is an index lookup like any other condition.
        for tag in Set(r.tags) { out.append(RunValue(key: "tags." + tag, number: nil, text: nil)) }
        return out
    }

    init(key: String, number: Double?, text: String?) {
        self.key = key; self.number = number; self.text = text
    }

    /// The row of a scalar JSON value; nil for null, arrays and objects.
    init?(key: String, _ v: JSONValue) {
        switch v {
        case .string(let s): self.init(key: key, number: Self.number(inText: s), text: s)
        case .bool(let b): self.init(key: key, number: nil, text: b ? "true" : "false")
        case .int, .double, .number:
            guard let d = v.doubleValue, d.isFinite else { return nil }
            self.init(key: key, number: d, text: v.numberText)
        case .null, .array, .object: return nil
        }
    }

    /// The value of a text that is a decimal number as a whole (`10`, `-0.5`, `1e6`; not ` 10`, `0x10`,
    /// `inf` or `nan`), else nil.
    static func number(inText s: String) -> Double? {
        var digits = 0, i = s.utf8.startIndex
        let u = s.utf8
        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
        func skipDigits() { while i < u.endIndex, isDigit(u[i]) { i = u.index(after: i); digits += 1 } }
        if i < u.endIndex, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i = u.index(after: i) }
        skipDigits()
        if i < u.endIndex, u[i] == UInt8(ascii: ".") { i = u.index(after: i); skipDigits() }
        guard digits > 0 else { return nil }
        if i < u.endIndex, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i = u.index(after: i)
            if i < u.endIndex, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i = u.index(after: i) }
            digits = 0
            skipDigits()
            guard digits > 0 else { return nil }
        }
        guard i == u.endIndex, let d = Double(s), d.isFinite else { return nil }
        return d
    }
}
