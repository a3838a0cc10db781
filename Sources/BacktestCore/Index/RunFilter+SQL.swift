import Base

/// A condition a run meets by having a value under `key` for which `test` (nil: any value) holds.
/// `numeric`: the test needs a number, so `num` is never NULL where it holds.
struct ValueTest {
    let key: String
    let test: SQLFragment?
    let numeric: Bool
}

extension RunFilter {
    /// The parts of a top-level "and".
    var conjuncts: [RunFilter] {
        if case .all(let parts) = self { return parts.flatMap(\.conjuncts) }
        return [self]
    }

    /// This condition as a value a run must have, when it is one (a comparison with a value, `!= null`, an
    /// `in` list without null, a tag), its test naming the columns of the `run_values` row `prefix` (`c0.`,
    /// or "" in a subquery); nil otherwise.
    func valueTest(on prefix: String) -> ValueTest? {
        switch self {
        case .hasTag(let tag): return ValueTest(key: "tags." + tag, test: nil, numeric: false)
        case .compare(let field, let op, let value):
            guard let key = field.valueKey else { return nil }
            guard let (bound, isNumber) = Self.bound(value) else {
                return op == .notEqual ? ValueTest(key: key, test: nil, numeric: false) : nil
            }
            let column = prefix + (isNumber ? "num" : "text")
            // != holds for runs that have the key with another value: a value that is not a number at all is one.
            if op == .notEqual {
                return ValueTest(key: key, test: SQLFragment(sql: "(\(column) IS NULL OR \(column) <> ?)", values: [bound]),
                                 numeric: false)
            }
            return ValueTest(key: key, test: SQLFragment(sql: "\(column) \(op.rawValue) ?", values: [bound]), numeric: isNumber)
        case .oneOf(let field, let values):
            guard let key = field.valueKey, !values.isEmpty, !values.contains(.null) else { return nil }
            var numbers: [SQLiteConnection.Value] = [], texts: [SQLiteConnection.Value] = []
            for v in values {
                guard let (bound, isNumber) = Self.bound(v) else { continue }
                if isNumber { numbers.append(bound) } else { texts.append(bound) }
            }
            var parts: [SQLFragment] = []
            for (column, list) in [(prefix + "num", numbers), (prefix + "text", texts)] where !list.isEmpty {
                let marks = Array(repeating: "?", count: list.count).joined(separator: ", ")
                parts.append(SQLFragment(sql: "\(column) IN (\(marks))", values: list))
            }
            return ValueTest(key: key, test: .joined(parts, " OR "), numeric: texts.isEmpty)
        case .all, .any: return nil
        }
    }

    /// The condition on a row of `runs`, standing alone (inside an `or`, or a column test). `scanning`: the
    /// query reads runs in id order, and the status and script indexes must not tempt SQLite away from it.
    func sql(scanning: Bool = false) -> SQLFragment {
        if let t = valueTest(on: "") { return Self.having(t) }
        switch self {
        case .all(let parts): return .joined(parts.map { $0.sql(scanning: scanning) }, " AND ") ?? .always
        case .any(let parts): return .joined(parts.map { $0.sql(scanning: scanning) }, " OR ") ?? .never
        case .compare(let field, let op, let value):
            guard let key = field.valueKey else { return Self.column(field, op, value, scanning) }
            // What is left of the values: `= null`, and null with an ordering (which the parser refuses).
            return op == .equal && value == .null ? Self.lacking(key: key) : .never
        case .oneOf(let field, let values):
            guard let key = field.valueKey else {
                return .joined(values.map { Self.column(field, .equal, $0, scanning) }, " OR ") ?? .never
            }
            // A list holding null: the other values, or no value at all.
            let rest = values.filter { $0 != .null }
            let lacking = Self.lacking(key: key)
            guard !rest.isEmpty, let t = RunFilter.oneOf(field, rest).valueTest(on: "") else { return lacking }
            return .joined([Self.having(t), lacking], " OR ") ?? lacking
        case .hasTag: return .never  // a value test, answered above
        }
    }

    /// A literal as bound, and whether it compares with `num` (numbers) rather than `text` (the rest); nil for
    /// null.
    private static func bound(_ v: Value) -> (SQLiteConnection.Value, isNumber: Bool)? {
        switch v {
        case .number(let n): return (.real(n), true)
        case .string(let s): return (.text(s), false)
        case .bool(let b): return (.text(b ? "true" : "false"), false)
        case .null: return nil
        }
    }

    /// A test of a column of `runs`: statuses, scripts and run ids as text, creation times in milliseconds.
    private static func column(_ field: RunField, _ op: Comparison, _ value: Value, _ scanning: Bool) -> SQLFragment {
        guard var column = field.column, case .string(let s) = value else { return .never }
        // A unary + keeps SQLite from using the column's index (run ids and times follow the id order).
        if scanning, field == .status || field == .script { column = "+runs." + column } else { column = "runs." + column }
        if field == .createdAt {
            guard let ms = ISOTime.parse(s) else { return .never }
            return SQLFragment(sql: "\(column) \(op.rawValue) ?", values: [.int(ms)])
        }
        return SQLFragment(sql: "\(column) \(op.rawValue) ?", values: [.text(s)])
    }

    /// Runs with a value for which `t` (on an unprefixed row) holds, as a list read once from one index range.
    static func having(_ t: ValueTest) -> SQLFragment {
        SQLFragment(sql: "runs.id IN (SELECT run FROM run_values WHERE key = ?" + (t.test.map { " AND " + $0.sql } ?? "") + ")",
                    values: [.text(t.key)] + (t.test?.values ?? []))
    }

    /// The same as a look-up of each run's value by primary key (`t` on the row `v.`): for a query that
    /// checks only the few runs it reads in order.
    static func lookingUp(_ t: ValueTest) -> SQLFragment {
        SQLFragment(sql: "EXISTS (SELECT 1 FROM run_values v WHERE v.run = runs.id AND v.key = ?"
                        + (t.test.map { " AND " + $0.sql } ?? "") + ")",
                    values: [.text(t.key)] + (t.test?.values ?? []))
    }

    static func lacking(key: String) -> SQLFragment {
        SQLFragment(sql: "runs.id NOT IN (SELECT run FROM run_values WHERE key = ?)", values: [.text(key)])
    }
}
