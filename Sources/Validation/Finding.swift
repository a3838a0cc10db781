/// A finding before the config has given it a severity: which rule, where, and the text after the
/// `file:line:` prefix.
struct Finding: Sendable {
    var rule: String
    var file: String
    var line: Int?
    var text: String
}

/// The findings of one file, at most `perRule` per rule: a million rows with an empty pnl would otherwise give a
/// million messages. The rest are counted and summarised in one more finding.
struct FindingList: Sendable {
    static let perRule = 20

    let file: String
    private(set) var items: [Finding] = []
    /// Findings per rule, listed or not.
    private(set) var counts: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func add(_ rule: String, line: Int? = nil, _ text: @autoclosure () -> String) {
        let n = counts[rule, default: 0]
        counts[rule] = n + 1
        if n < FindingList.perRule { items.append(Finding(rule: rule, file: file, line: line, text: text())) }
    }

    func has(_ rule: String) -> Bool { counts[rule, default: 0] > 0 }

    /// True if any finding comes from one of `rules`.
    func hasAny(of rules: Set<String>) -> Bool { counts.contains { rules.contains($0.key) && $0.value > 0 } }

    /// Appends another part of the same file (the second half of a file read by two threads), its lines shifted
    /// by `lineOffset`, keeping the per-rule limit.
    mutating func merge(_ other: FindingList, lineOffset: Int) {
        for f in other.items {
            let n = counts[f.rule, default: 0]
            counts[f.rule] = n + 1
            if n < FindingList.perRule {
                var g = f
                g.line = f.line.map { $0 + lineOffset }
                items.append(g)
            }
        }
        for (rule, total) in other.counts {
            let listed = other.items.lazy.filter { $0.rule == rule }.count
            counts[rule, default: 0] += total - listed
        }
    }

    /// The findings, with one "N more" finding per rule that went over the limit.
    func finished() -> [Finding] {
        var out = items
        var seen = Set<String>()
        for f in items where !seen.contains(f.rule) {
            seen.insert(f.rule)
            let total = counts[f.rule, default: 0]
            if total > FindingList.perRule {
                out.append(Finding(rule: f.rule, file: file, line: nil,
                                   text: "\(total - FindingList.perRule) more like the above (\(f.rule)), \(total) in all"))
            }
        }
        return out
    }
}
