/// Answers a `RunQuery` on the index: counts the matching runs, then reads the page with the shape of
/// `RunQuerySQL` that reads the fewest rows, which the count tells.
///
/// Sorting every match costs about as many steps as there are matches. Reading runs in the order wanted
/// (by id, or by the first sort key's index) and checking each costs about (offset + limit) × runs / matches.
/// The second wins when matches are many, the first when they are few; without the count SQLite's planner
/// cannot tell the two apart (it has no statistics of the values).
struct RunSearch {
    let query: RunQuery

    /// The total and the page, read in one transaction (one snapshot of the index, though the count and the
    /// page are several statements).
    func run(on db: SQLiteConnection) throws(SQLiteConnection.Failure) -> (total: Int, runs: [RunRecord]) {
        // A connection left inside a transaction by a failed write still answers, without the snapshot.
        let snapshot = (try? db.exec("BEGIN")) != nil
        defer { if snapshot { try? db.exec("COMMIT") } }
        guard let joined = RunQuerySQL(query) else { return (0, []) }
        let total = try count(joined, db)
        guard query.limit > 0, query.offset < total else { return (total, []) }
        var runs: [RunRecord] = []
        var skip = query.offset
        // The parts are read in order; each begins where the one before ended.
        for sql in try shapes(joined, total: total, db) {
            let need = query.limit - runs.count
            guard need > 0 else { break }
            let got = try page(sql, limit: need, offset: skip, db)
            skip = got.isEmpty && skip > 0 ? max(0, skip - (try count(sql, db))) : 0
            runs += got
        }
        return (total, runs)
    }

    /// SQLite's plan of the count and of each page statement `run` would use (EXPLAIN QUERY PLAN).
    func plan(on db: SQLiteConnection) throws(SQLiteConnection.Failure) -> [String] {
        guard let joined = RunQuerySQL(query) else { return [] }
        let total = try count(joined, db)
        var lines = ["count (\(total)):"] + (try explain(joined.count(), db))
        for sql in try shapes(joined, total: total, db) {
            lines.append("page (\(sql.shape)):")
            lines += try explain(sql.page(query, limit: query.limit, offset: query.offset), db)
        }
        return lines
    }

    /// The statements the page is read with, in order.
    private func shapes(_ joined: RunQuerySQL, total: Int, _ db: SQLiteConnection) throws(SQLiteConnection.Failure) -> [RunQuerySQL] {
        guard !joined.sortsInIndexOrder, try readsFew(total, db) else { return [joined] }
        if query.order == nil { return [RunQuerySQL(query, .scanning)].compactMap { $0 } }
        guard joined.sortKey != nil else { return [joined] }
        return RunQuerySQL.SortKeyPart.allCases.compactMap { RunQuerySQL(query, .sortKey($0)) }
    }

    /// Whether reading runs in order until the page is full reads fewer rows than the matches are.
    private func readsFew(_ total: Int, _ db: SQLiteConnection) throws(SQLiteConnection.Failure) -> Bool {
        // Ids are given in increasing order: the largest is about how many runs there are (an estimate is
        // enough here, and unlike count(*) it costs one look at the end of the table).
        let runs = try db.cached("SELECT max(id) FROM runs").firstInt([]) ?? 0
        return Double(query.offset + query.limit) * Double(runs) < Double(total) * Double(total)
    }

    private func count(_ sql: RunQuerySQL, _ db: SQLiteConnection) throws(SQLiteConnection.Failure) -> Int {
        let c = sql.count()
        return Int(try db.cached(c.sql).firstInt(c.values) ?? 0)
    }

    private func page(_ sql: RunQuerySQL, limit: Int, offset: Int, _ db: SQLiteConnection) throws(SQLiteConnection.Failure) -> [RunRecord] {
        let p = sql.page(query, limit: limit, offset: offset)
        let st = try db.cached(p.sql)
        st.bind(p.values)
        // A kept statement left mid-result would hold its read snapshot: reset it however the loop ends.
        defer { st.reset() }
        var runs: [RunRecord] = []
        runs.reserveCapacity(limit)
        while try st.step() { if let r = RunIndex.decode(st.bytes(0)) { runs.append(r) } }
        return runs
    }

    /// EXPLAIN QUERY PLAN of a statement, one indented line per step.
    private func explain(_ sql: SQLFragment, _ db: SQLiteConnection) throws(SQLiteConnection.Failure) -> [String] {
        let st = try db.prepare("EXPLAIN QUERY PLAN " + sql.sql)
        st.bind(sql.values)
        var lines: [String] = []
        var depth: [Int64: Int] = [0: 0]
        while try st.step() {
            let d = (depth[st.int(1)] ?? 0) + 1
            depth[st.int(0)] = d
            lines.append(String(repeating: "  ", count: d) + st.text(3))
        }
        return lines
    }
}
