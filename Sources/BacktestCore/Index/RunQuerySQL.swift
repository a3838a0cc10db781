/// The statements of one query, in one of three shapes (docs/search.md, "How it is indexed"; `RunSearch`
/// picks one once it knows how many runs match).
///
/// Conditions on the columns of `runs` are tested as they are (an index each). The conditions of the
/// top-level "and" that need a value under a key are grouped by key; a group is a join, a list or a look-up:
/// - join: `JOIN run_values c0 ON c0.run = runs.id AND c0.key = ? AND <tests>`, one group at most, which
///   SQLite reads as a range of the `(key, num)` or `(key, text)` index, looking each run up by id;
/// - list: `runs.id IN (SELECT run FROM run_values WHERE key = ? AND <tests>)`, one index range read once
///   (cheaper than a second join, whose every probe reads the table);
/// - look-up: `EXISTS (... WHERE v.run = runs.id AND v.key = ? ...)`, the primary key `(run, key)` probed
///   for each run read, for shapes that read only a few runs in order.
/// `= null` is a list with NOT IN; conditions inside an `or` are lists.
struct RunQuerySQL {
    enum Shape: Equatable, CustomStringConvertible {
        /// The group of the first sort key (else the first group) joined, the others lists; every match is
        /// sorted, unless the join's own index order is the sort (a numeric condition on the first sort key).
        case joined
        /// The runs in id order, each looked up: the first matches make the page (no sort key).
        case scanning
        /// The matching runs whose value under the first sort key is a number, a text, or missing, in that
        /// key's index order (a join on it) and the others looked up: again the first matches make the page.
        case sortKey(SortKeyPart)

        var description: String {
            switch self {
            case .joined: return "joined"
            case .scanning: return "scanning"
            case .sortKey(let part): return "sort key \(part)"
            }
        }
    }

    enum SortKeyPart: CaseIterable { case numbers, texts, missing }

    let shape: Shape
    /// The key of the first sort key, when it is kept in `run_values`.
    let sortKey: String?
    private(set) var joins = SQLFragment.empty
    /// The join's own condition on its row `c0` (`c0.key = ? AND <tests>`).
    private var joinTests = SQLFragment.empty
    private(set) var conditions = SQLFragment.empty
    /// The joined key, and whether its conditions need a number (then `num` is never NULL there).
    private var driver: (key: String, numeric: Bool)?

    /// nil when nothing can match (an empty status list; a part of `sortKey` that the conditions exclude).
    init?(_ q: RunQuery, _ shape: Shape = .joined) {
        self.shape = shape
        sortKey = q.order?.keys.first?.field.valueKey
        guard let parts = Self.conjuncts(of: q) else { return nil }
        var others: [SQLFragment] = []
        if let since = q.sinceMillis { others.append(SQLFragment(sql: "runs.created_at >= ?", values: [.int(since)])) }
        if let until = q.untilMillis { others.append(SQLFragment(sql: "runs.created_at <= ?", values: [.int(until)])) }

        // The conditions on values, by key, in the order first named.
        var keys: [String] = []
        var groups: [String: [RunFilter]] = [:]
        for part in parts {
            guard let key = part.valueTest(on: "")?.key else { others.append(part.sql(scanning: shape != .joined)); continue }
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(part)
        }
        guard let joined = joinedKey(keys, groups, &others) else { return nil }
        for key in keys where key != joined { others.append(listOrLookUp(key, groups[key, default: []])) }
        if let key = joined { join(key, groups[key, default: []]) }
        if let all = SQLFragment.joined(others, " AND ") {
            conditions = SQLFragment(sql: " WHERE " + all.sql, values: all.values)
        }
    }

    /// Every condition of `q` as a part of one "and"; nil when nothing can match.
    private static func conjuncts(of q: RunQuery) -> [RunFilter]? {
        var parts: [RunFilter] = []
        if let statuses = q.statuses {
            guard !statuses.isEmpty else { return nil }
            parts.append(.oneOf(.status, statuses.map { .string($0.rawValue) }))
        }
        if let script = q.script { parts.append(.compare(.script, .equal, .string(script))) }
        if let tag = q.tag { parts.append(.hasTag(tag)) }
        return parts + (q.filter?.conjuncts ?? [])
    }

    /// Which key this shape joins (`.some(nil)`: none); nil when the shape's part cannot match. Adds the
    /// condition of the part of runs that lack the sort key.
    private func joinedKey(_ keys: [String], _ groups: [String: [RunFilter]], _ others: inout [SQLFragment]) -> String?? {
        switch shape {
        case .joined: return .some(keys.first { $0 == sortKey } ?? keys.first)
        case .scanning: return .some(nil)
        case .sortKey(let part):
            guard let sortKey else { return nil }
            guard part == .missing else { return .some(sortKey) }
            // A condition on the key needs a value there.
            guard groups[sortKey] == nil else { return nil }
            others.append(RunFilter.lacking(key: sortKey))
            return .some(nil)
        }
    }

    /// The conditions on one key that is not joined: a list in the joined shape, look-ups in the others.
    private func listOrLookUp(_ key: String, _ parts: [RunFilter]) -> SQLFragment {
        let lookUp = shape != .joined
        let tests = parts.compactMap { $0.valueTest(on: lookUp ? "v." : "")?.test }
        let t = ValueTest(key: key, test: .joined(tests, " AND "), numeric: false)
        return lookUp ? RunFilter.lookingUp(t) : RunFilter.having(t)
    }

    /// `JOIN run_values c0` on `key` with the tests of `parts`, and, for a part of the first sort key, whether
    /// its value is a number.
    private mutating func join(_ key: String, _ parts: [RunFilter]) {
        let tests = parts.compactMap { $0.valueTest(on: "c0.") }
        var numeric = tests.contains(where: \.numeric)
        joinTests = SQLFragment(sql: "c0.key = ?", values: [.text(key)])
        for t in tests { if let test = t.test { joinTests = joinTests + SQLFragment(sql: " AND ") + test } }
        switch shape {
        case .sortKey(.numbers): joinTests.sql += " AND c0.num IS NOT NULL"; numeric = true
        case .sortKey(.texts): joinTests.sql += " AND c0.num IS NULL"
        default: break
        }
        joins = SQLFragment(sql: " JOIN run_values c0 ON c0.run = runs.id AND ") + joinTests
        driver = (key, numeric)
    }

    /// Whether the join's index order is the sort: then the page is the first matches read, as with
    /// `scanning` or `sortKey`.
    var sortsInIndexOrder: Bool {
        guard let driver, driver.numeric else { return false }
        return driver.key == sortKey
    }

    func count() -> SQLFragment {
        // Values are written and removed with their run, so with nothing else to check, counting the join's
        // index range is counting the runs (without looking each one up).
        if driver != nil, conditions.sql.isEmpty {
            return SQLFragment(sql: "SELECT count(*) FROM run_values c0 WHERE ") + joinTests
        }
        return SQLFragment(sql: "SELECT count(*) FROM runs") + joins + conditions
    }

    /// The page's records in order: the page of ids first (small rows, sorted with their keys), then their
    /// records, sorted again by the same keys (a join does not keep the order of its input).
    func page(_ q: RunQuery, limit: Int, offset: Int) -> SQLFragment {
        let (sortJoins, keys) = sortTerms(q.order)
        // With sort keys the last word is the promised "newest first"; without, the order asked for.
        let idOrder = q.order == nil && q.ascending ? "ASC" : "DESC"
        let columns = keys.enumerated().map { ", \($1.expression) AS k\($0)" }.joined()
        let inner = keys.indices.map { "k\($0) \(keys[$0].direction)" } + ["id \(idOrder)"]
        let outer = keys.indices.map { "p.k\($0) \(keys[$0].direction)" } + ["p.id \(idOrder)"]
        return SQLFragment(sql: "SELECT r.json FROM (SELECT runs.run_id AS id\(columns) FROM runs") + joins + sortJoins
            + conditions + SQLFragment(sql: """
             ORDER BY \(inner.joined(separator: ", ")) LIMIT ? OFFSET ?) p
            JOIN records r ON r.run_id = p.id ORDER BY \(outer.joined(separator: ", "))
            """, values: [.int(Int64(limit)), .int(Int64(offset))])
    }

    /// The joins the sort keys need and their terms, in order. A key kept in `run_values` sorts runs lacking
    /// it last (in either direction), then numbers before texts, numbers by value and texts as text.
    private func sortTerms(_ order: RunOrder?) -> (joins: SQLFragment, terms: [(expression: String, direction: String)]) {
        var joins = SQLFragment.empty
        var terms: [(expression: String, direction: String)] = []
        for (n, key) in (order?.keys ?? []).enumerated() {
            let direction = key.descending ? "DESC" : "ASC"
            guard let valueKey = key.field.valueKey else {
                terms.append(("runs.\(key.field.column ?? "run_id")", direction))
                continue
            }
            if n == 0, case .sortKey(let part) = shape {
                // One part of the first key: its numbers, its texts, or none of it to sort by.
                switch part {
                case .numbers: terms += [("c0.num", direction), ("c0.text", direction)]
                case .texts: terms.append(("c0.text", direction))
                case .missing: break
                }
                continue
            }
            if let driver, driver.key == valueKey {
                // Every run here has the key; with a numeric condition every value is a number, and the
                // terms left are the index's own order.
                if !driver.numeric { terms.append(("c0.num IS NULL", "ASC")) }
                terms += [("c0.num", direction), ("c0.text", direction)]
                continue
            }
            let o = "o\(n)"
            joins = joins + SQLFragment(sql: " LEFT JOIN run_values \(o) ON \(o).run = runs.id AND \(o).key = ?",
                                        values: [.text(valueKey)])
            terms += [("\(o).run IS NULL", "ASC"), ("\(o).num IS NULL", "ASC"), ("\(o).num", direction),
                      ("\(o).text", direction)]
        }
        return (joins, terms)
    }
}
