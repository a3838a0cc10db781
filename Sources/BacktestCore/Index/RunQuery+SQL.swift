import Base

/// SQL text and the values bound to its `?`s, in order. Values are always bound, never written into the
/// text: a search is the client's text.
struct SQLFragment {
    var sql: String
    var values: [SQLiteConnection.Value] = []

    static let never = SQLFragment(sql: "0")
    static let always = SQLFragment(sql: "1")

    /// `(a AND b ...)`; the empty list is `always`.
    static func joined(_ parts: [SQLFragment], _ separator: String) -> SQLFragment {
        guard parts.count > 1 else { return parts.first ?? .always }
        return SQLFragment(sql: "(" + parts.map(\.sql).joined(separator: separator) + ")", values: parts.flatMap(\.values))
    }
}

// MARK: - The statements of a query

/// Shapes (docs/search.md, "How it is indexed"): every condition is a column test on `runs` (which has an
/// index per column) or `runs.run_id [NOT] IN (SELECT run_id FROM run_values WHERE key = ? AND ...)`, which
/// reads one range of the `(key, num)` or `(key, text)` index. A sort key is a LEFT JOIN on `run_values`'s
/// primary key `(run_id, key)`.
extension RunQuery {
    /// The WHERE clause (with its leading space), or nil when nothing can match (an empty status list).
    func whereSQL() -> SQLFragment? {
        var parts: [SQLFragment] = []
        if let statuses {
            guard !statuses.isEmpty else { return nil }
            parts.append(RunFilter.oneOf(.status, statuses.map { .string($0.rawValue) }).sql())
        }
        if let script { parts.append(SQLFragment(sql: "runs.script = ?", values: [.text(script)])) }
        if let tag { parts.append(RunFilter.hasTag(tag).sql()) }
        if let sinceMillis { parts.append(SQLFragment(sql: "runs.created_at >= ?", values: [.int(sinceMillis)])) }
        if let untilMillis { parts.append(SQLFragment(sql: "runs.created_at <= ?", values: [.int(untilMillis)])) }
        if let filter { parts.append(filter.sql()) }
        guard !parts.isEmpty else { return SQLFragment(sql: "") }
        let all = SQLFragment.joined(parts, " AND ")
        return SQLFragment(sql: " WHERE " + all.sql, values: all.values)
    }

    func countSQL(_ whereSQL: SQLFragment) -> SQLFragment {
        SQLFragment(sql: "SELECT count(*) FROM runs" + whereSQL.sql, values: whereSQL.values)
    }

    /// The page's records in order: the page of ids first (small rows, sorted with their keys), then their
    /// records, sorted again by the same keys (a join does not keep the order of its input).
    func pageSQL(_ whereSQL: SQLFragment) -> SQLFragment {
        let (joins, keys) = order?.sortSQL() ?? (SQLFragment(sql: ""), [])
        // With sort keys the last word is the promised "newest first"; without, the order asked for.
        let idOrder = order == nil && ascending ? "ASC" : "DESC"
        let columns = keys.enumerated().map { ", \($1.expression) AS k\($0)" }.joined()
        let inner = keys.indices.map { "k\($0) \(keys[$0].direction)" } + ["id \(idOrder)"]
        let outer = keys.indices.map { "p.k\($0) \(keys[$0].direction)" } + ["p.id \(idOrder)"]
        return SQLFragment(sql: """
            SELECT r.json FROM (SELECT runs.run_id AS id\(columns) FROM runs\(joins.sql)\(whereSQL.sql)
            ORDER BY \(inner.joined(separator: ", ")) LIMIT ? OFFSET ?) p
            JOIN records r ON r.run_id = p.id ORDER BY \(outer.joined(separator: ", "))
            """, values: joins.values + whereSQL.values + [.int(Int64(limit)), .int(Int64(offset))])
    }
}

// MARK: - Filters

extension RunFilter {
    /// The condition on a row of `runs`.
    func sql() -> SQLFragment {
        switch self {
        case .all(let parts): return .joined(parts.map { $0.sql() }, " AND ")
        case .any(let parts): return parts.isEmpty ? .never : .joined(parts.map { $0.sql() }, " OR ")
        case .hasTag(let tag): return Self.having(key: "tags." + tag)
        case .compare(let field, let op, let value):
            guard let key = field.valueKey else { return Self.column(field, op, value) }
            return Self.value(key: key, op, value)
        case .oneOf(let field, let values):
            guard let key = field.valueKey else {
                return values.isEmpty ? .never : .joined(values.map { Self.column(field, .equal, $0) }, " OR ")
            }
            return Self.value(key: key, oneOf: values)
        }
    }

    /// A test of a column of `runs`: statuses, scripts and run ids as text, creation times in milliseconds.
    private static func column(_ field: RunField, _ op: Comparison, _ value: Value) -> SQLFragment {
        guard let column = field.column, case .string(let s) = value else { return .never }
        if field == .createdAt {
            guard let ms = ISOTime.parse(s) else { return .never }
            return SQLFragment(sql: "runs.\(column) \(op.rawValue) ?", values: [.int(ms)])
        }
        return SQLFragment(sql: "runs.\(column) \(op.rawValue) ?", values: [.text(s)])
    }

    /// A comparison with the value kept under `key`. A number compares with `num` (numbers and numeric
    /// strings), anything else with `text`; `!=` holds for runs that have the key with another value; null is
    /// "has no value".
    private static func value(key: String, _ op: Comparison, _ value: Value) -> SQLFragment {
        let bound: SQLiteConnection.Value, column: String
        switch value {
        case .null:
            switch op {
            case .equal: return lacking(key: key)
            case .notEqual: return having(key: key)
            default: return .never
            }
        case .number(let n): (bound, column) = (.real(n), "num")
        case .string(let s): (bound, column) = (.text(s), "text")
        case .bool(let b): (bound, column) = (.text(b ? "true" : "false"), "text")
        }
        let test = op == .notEqual ? "(\(column) IS NULL OR \(column) <> ?)" : "\(column) \(op.rawValue) ?"
        return having(key: key, SQLFragment(sql: test, values: [bound]))
    }

    /// `in (...)` on the values under `key`: numbers by value, the rest as text, null as "no value".
    private static func value(key: String, oneOf values: [Value]) -> SQLFragment {
        var numbers: [SQLiteConnection.Value] = [], texts: [SQLiteConnection.Value] = [], null = false
        for v in values {
            switch v {
            case .number(let n): numbers.append(.real(n))
            case .string(let s): texts.append(.text(s))
            case .bool(let b): texts.append(.text(b ? "true" : "false"))
            case .null: null = true
            }
        }
        var parts: [SQLFragment] = []
        for (column, list) in [("num", numbers), ("text", texts)] where !list.isEmpty {
            let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
            parts.append(having(key: key, SQLFragment(sql: "\(column) IN (\(marks))", values: list)))
        }
        if null { parts.append(lacking(key: key)) }
        return parts.isEmpty ? .never : .joined(parts, " OR ")
    }

    /// Runs with a value under `key` for which `test` (a condition on `run_values`) holds.
    static func having(key: String, _ test: SQLFragment? = nil) -> SQLFragment {
        SQLFragment(sql: "runs.run_id IN (SELECT run_id FROM run_values WHERE key = ?" + (test.map { " AND " + $0.sql } ?? "") + ")",
                    values: [.text(key)] + (test?.values ?? []))
    }

    /// Runs with no value under `key`.
    static func lacking(key: String) -> SQLFragment {
        SQLFragment(sql: "runs.run_id NOT IN (SELECT run_id FROM run_values WHERE key = ?)", values: [.text(key)])
    }
}

// MARK: - Sort keys

extension RunOrder {
    /// The joins the keys need and their sort terms, in order. A key kept in `run_values` sorts runs that lack
    /// it last (in either direction), then numbers before texts, numbers by value and texts as text.
    func sortSQL() -> (joins: SQLFragment, terms: [(expression: String, direction: String)]) {
        var joins = SQLFragment(sql: "")
        var terms: [(expression: String, direction: String)] = []
        for (n, key) in keys.enumerated() {
            let direction = key.descending ? "DESC" : "ASC"
            if let column = key.field.column {
                terms.append(("runs.\(column)", direction))
                continue
            }
            let o = "o\(n)"
            joins.sql += " LEFT JOIN run_values \(o) ON \(o).run_id = runs.run_id AND \(o).key = ?"
            joins.values.append(.text(key.field.valueKey ?? ""))
            terms += [("\(o).run_id IS NULL", "ASC"), ("\(o).num IS NULL", "ASC"), ("\(o).num", direction),
                      ("\(o).text", direction)]
        }
        return (joins, terms)
    }
}
