import Base
import CSQLite
import Glibc
import JSON
import Synchronization

/// The workspace's queryable copy of every run record (`.backtest-rpc/index.sqlite`), shared by all servers
/// and supervisors of the workspace. It is a cache: `run.json` files are the truth, and the index is rebuilt
/// from them when it is missing, corrupt or of another schema version, and reconciled with the runs dir when
/// a workspace opens.
///
/// Two tables: `runs` holds the columns `list` filters and sorts on (small rows, so counting and scanning stay
/// fast); `records` holds each record's JSON, read only for the page of runs a `list` returns. Both are
/// written in one transaction, so they never disagree.
///
/// Several processes write rows (servers, supervisors), and a row may be refreshed from a run.json read a
/// moment before its owner wrote a newer one. So every row carries the version of the run.json it came from
/// (its mtime in ns) and its status's rank in the life of a run; an older version never replaces a newer
/// one, and within one mtime tick (timestamps are coarse) a status never goes back.
public final class RunIndex: RunIndexing, Sendable {
    /// Bump when the schema changes: an index of another version is dropped and rebuilt.
    static let schemaVersion: Int64 = 2
    /// Separates tags in the `tags` column so that `instr` finds whole tags only.
    static let tagSeparator = "\u{1F}"

    public let path: String
    /// Whether opening found no usable index (so every record had to be read back from the run dirs).
    public let wasRebuilt: Bool
    private let state: Mutex<State>

    private final class State: @unchecked Sendable {
        let db: SQLiteConnection
        var upsertRun: SQLiteConnection.Statement
        var upsertRecord: SQLiteConnection.Statement
        /// The database file this connection opened (another process may replace a broken one).
        let inode: UInt64?
        init(db: SQLiteConnection) throws(SQLiteConnection.Failure) {
            self.db = db
            inode = FileSystem.fingerprint(db.path)?.inode
            upsertRun = try db.prepare("""
                INSERT INTO runs(run_id, status, script, created_at, tags, version, rank) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT(run_id) DO UPDATE SET status = ?2, script = ?3, created_at = ?4, tags = ?5, version = ?6, rank = ?7
                WHERE ?6 > runs.version OR (?6 = runs.version AND ?7 >= runs.rank)
                """)
            upsertRecord = try db.prepare("""
                INSERT INTO records(run_id, json) VALUES(?1, ?2) ON CONFLICT(run_id) DO UPDATE SET json = ?2
                """)
        }
    }

    /// Opens (creating or rebuilding as needed) the index at `path`. A database that cannot be used is moved
    /// aside and replaced; only a runs dir that cannot be written at all is an error.
    public init(path: String) throws(CoreError) {
        self.path = path
        var rebuilt = false
        var db: SQLiteConnection
        do {
            (db, rebuilt) = try Self.openBusyAware(path)
        } catch {
            // Corrupt, not a database, or of an unknown shape: keep it for a post-mortem, start afresh.
            Self.warn("the run index \(path) cannot be used (\(error.description)); rebuilding it from the run dirs")
            let aside = path + ".broken-\(getpid())"
            rename(path, aside)
            unlink(path + "-wal"); unlink(path + "-shm")
            do { (db, _) = try Self.openChecked(path) } catch {
                throw .workspace(path: path, reason: "cannot create the run index: \(error.description)")
            }
            rebuilt = true
        }
        do { state = Mutex(try State(db: db)) } catch {
            throw .workspace(path: path, reason: "cannot prepare the run index: \(error.description)")
        }
        wasRebuilt = rebuilt
    }

    /// When another process found the database broken and replaced it, this connection still writes to the
    /// file it opened: open the new one. Returns true when it did (the caller then re-syncs the index).
    func reopenIfReplaced() -> Bool {
        guard let now = FileSystem.fingerprint(path)?.inode, now != state.withLock({ $0.inode }) else { return false }
        guard let (db, _) = try? Self.openChecked(path), let fresh = try? State(db: db) else { return false }
        state.withLock { $0 = fresh }
        return true
    }

    /// `openChecked`, tried again while the database is busy or locked. Two processes opening a new workspace
    /// at the same instant both find no schema; one creates it while the other's switch to WAL or its schema
    /// check can fail with SQLITE_BUSY before the busy handler applies. That is contention, not damage: moving
    /// the file aside then would leave the first process writing to a file nobody reads.
    private static func openBusyAware(_ path: String) throws(SQLiteConnection.Failure) -> (SQLiteConnection, Bool) {
        var attempt = 0
        while true {
            do { return try openChecked(path) } catch where error.isContention && attempt < 100 {
                attempt += 1
                usleep(UInt32(min(attempt, 10)) * 5_000)  // back off: at most ~5 s in all
            }
        }
    }

    /// Opens, configures and checks the schema; returns whether the tables had to be (re)created.
    private static func openChecked(_ path: String) throws(SQLiteConnection.Failure) -> (SQLiteConnection, Bool) {
        let db = try SQLiteConnection(path: path)
        sqlite3_busy_timeout(db.db, 5000)
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        let v = try db.prepare("PRAGMA user_version")
        v.bind([])
        let version = try v.step() ? v.int(0) : 0
        if version == schemaVersion {
            // A cheap read that fails on a damaged file.
            let c = try db.prepare("SELECT count(*) FROM runs")
            c.bind([])
            _ = try c.step()
            return (db, false)
        }
        try db.exec("BEGIN IMMEDIATE")
        do {
            // Re-check under the write lock: another process may have just created it.
            v.bind([])
            if try v.step(), v.int(0) == schemaVersion { try db.exec("COMMIT"); return (db, false) }
            try db.exec("""
                DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS records;
                CREATE TABLE runs(run_id TEXT PRIMARY KEY, status TEXT NOT NULL, script TEXT NOT NULL,
                                  created_at INTEGER NOT NULL, tags TEXT NOT NULL, version INTEGER NOT NULL,
                                  rank INTEGER NOT NULL);
                CREATE INDEX runs_status ON runs(status);
                CREATE INDEX runs_script ON runs(script);
                CREATE INDEX runs_created ON runs(created_at);
                CREATE TABLE records(run_id TEXT PRIMARY KEY, json TEXT NOT NULL);
                PRAGMA user_version = \(schemaVersion);
                COMMIT;
                """)
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
        return (db, true)
    }

    // MARK: writing

    /// Records the current state of a run (called by `RunStore.save` after every write of run.json, so the
    /// file's mtime now is the version of `record`). Failures are reported on stderr and otherwise ignored:
    /// run.json is already written, and the next reconcile puts the index right.
    public func upsert(_ record: RunRecord) {
        upsert([(record, Self.version(of: record.runDir))])
    }

    /// Several records in one transaction (rebuilds, benchmarks), each versioned by its run.json as it is now.
    public func upsert(_ records: [RunRecord]) {
        upsert(records.map { ($0, Self.version(of: $0.runDir)) })
    }

    /// Several records in one transaction, each with the version of the run.json it was read from (taken
    /// before reading it).
    func upsert(_ records: [(record: RunRecord, version: Int64)]) {
        guard !records.isEmpty else { return }
        state.withLock { s in
            do throws(SQLiteConnection.Failure) {
                try s.db.exec("BEGIN IMMEDIATE")
                for (r, version) in records {
                    try s.upsertRun.run([.text(r.runID), .text(r.status.rawValue), .text(r.script), .int(r.createdAt),
                                         .text(Self.tagsColumn(r.tags)), .int(version), .int(Self.rank(r.status))])
                    // Unchanged row: this record was older than the one indexed; its JSON must not replace it.
                    guard sqlite3_changes(s.db.db) > 0 else { continue }
                    try s.upsertRecord.run([.text(r.runID), .text(JSONWriter.string(r.json(), numbersAsWritten: true))])
                }
                try s.db.exec("COMMIT")
            } catch {
                try? s.db.exec("ROLLBACK")
                Self.warn("cannot update the run index: \(error.description)")
            }
        }
    }

    /// The version of a run's record file: its mtime in nanoseconds (0 when it cannot be read).
    static func version(of runDir: String) -> Int64 {
        FileSystem.fingerprint(runDir + "/run.json")?.mtimeNanos ?? 0
    }

    /// Where a status stands in the life of a run; never lower for a later write.
    static func rank(_ s: RunStatus) -> Int64 {
        switch s {
        case .queued: return 0
        case .running: return 1
        case .validating: return 2
        case .completed, .failed, .cancelled: return 3
        }
    }

    /// Forgets runs whose directories are gone.
    func remove(runIDs: [String]) {
        guard !runIDs.isEmpty else { return }
        state.withLock { s in
            do throws(SQLiteConnection.Failure) {
                try s.db.exec("BEGIN IMMEDIATE")
                let a = try s.db.prepare("DELETE FROM runs WHERE run_id = ?")
                let b = try s.db.prepare("DELETE FROM records WHERE run_id = ?")
                for id in runIDs { try a.run([.text(id)]); try b.run([.text(id)]) }
                try s.db.exec("COMMIT")
            } catch {
                try? s.db.exec("ROLLBACK")
                Self.warn("cannot update the run index: \(error.description)")
            }
        }
    }

    // MARK: reading

    /// Every run id in the index.
    func allRunIDs() throws(CoreError) -> Set<String> {
        try read { (db) throws(SQLiteConnection.Failure) in
            let st = try db.prepare("SELECT run_id FROM runs")
            st.bind([])
            var ids = Set<String>()
            while try st.step() { ids.insert(st.text(0)) }
            return ids
        }
    }

    /// Records the index holds as queued, running or validating: the only ones whose truth may have moved on
    /// without the index hearing of it (a supervisor died, or wrote without an index).
    func activeRecords() throws(CoreError) -> [RunRecord] {
        try read { (db) throws(SQLiteConnection.Failure) in
            let st = try db.prepare("""
                SELECT r.json FROM runs JOIN records r USING(run_id)
                WHERE runs.status IN ('queued', 'running', 'validating') ORDER BY run_id
                """)
            st.bind([])
            var out: [RunRecord] = []
            while try st.step() { if let r = Self.decode(st.bytes(0)) { out.append(r) } }
            return out
        }
    }

    /// Number of runs per status.
    func statusCounts() throws(CoreError) -> [RunStatus: Int] {
        try read { (db) throws(SQLiteConnection.Failure) in
            let st = try db.prepare("SELECT status, count(*) FROM runs GROUP BY status")
            st.bind([])
            var out: [RunStatus: Int] = [:]
            while try st.step() { if let s = RunStatus(rawValue: st.text(0)) { out[s] = Int(st.int(1)) } }
            return out
        }
    }

    /// One page of runs matching `query`, newest first unless `ascending`, and how many match in all.
    public func query(_ q: RunQuery) throws(CoreError) -> (total: Int, runs: [RunRecord]) {
        var clauses: [String] = []
        var values: [SQLiteConnection.Value] = []
        if let statuses = q.statuses {
            if statuses.isEmpty { return (0, []) }
            clauses.append("status IN (" + statuses.map { _ in "?" }.joined(separator: ",") + ")")
            values += statuses.map { .text($0.rawValue) }
        }
        if let script = q.script { clauses.append("script = ?"); values.append(.text(script)) }
        if let tag = q.tag {
            clauses.append("instr(tags, ?) > 0")
            values.append(.text(Self.tagSeparator + tag + Self.tagSeparator))
        }
        if let since = q.sinceMillis { clauses.append("created_at >= ?"); values.append(.int(since)) }
        if let until = q.untilMillis { clauses.append("created_at <= ?"); values.append(.int(until)) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let order = q.ascending ? "ASC" : "DESC"
        return try read { (db) throws(SQLiteConnection.Failure) in
            let count = try db.prepare("SELECT count(*) FROM runs" + whereSQL)
            count.bind(values)
            let total = try count.step() ? Int(count.int(0)) : 0
            guard q.limit > 0, q.offset < total else { return (total, []) }
            // The page of ids first (small rows, ordered by the primary key), then their records.
            let page = try db.prepare("""
                SELECT r.json FROM (SELECT run_id FROM runs\(whereSQL) ORDER BY run_id \(order) LIMIT ? OFFSET ?) p
                JOIN records r USING(run_id) ORDER BY p.run_id \(order)
                """)
            page.bind(values + [.int(Int64(q.limit)), .int(Int64(q.offset))])
            var runs: [RunRecord] = []
            runs.reserveCapacity(q.limit)
            while try page.step() { if let r = Self.decode(page.bytes(0)) { runs.append(r) } }
            return (total, runs)
        }
    }

    private func read<T>(_ body: (SQLiteConnection) throws(SQLiteConnection.Failure) -> T) throws(CoreError) -> T {
        let r: Result<T, SQLiteConnection.Failure> = state.withLock { s in
            do throws(SQLiteConnection.Failure) { return .success(try body(s.db)) } catch { return .failure(error) }
        }
        switch r {
        case .success(let v): return v
        case .failure(let f): throw .workspace(path: path, reason: "run index: \(f.description)")
        }
    }

    static func tagsColumn(_ tags: [String]) -> String {
        tags.isEmpty ? "" : tagSeparator + tags.joined(separator: tagSeparator) + tagSeparator
    }

    static func decode(_ bytes: [UInt8]) -> RunRecord? {
        guard let v = try? JSONParser.parse(bytes, keepingNumberText: true) else { return nil }
        return RunRecord(json: v)
    }

    static func warn(_ message: String) {
        var line = Array("backtest-rpc: \(message)\n".utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
    }
}

/// The filters and page of a `list`.
public struct RunQuery: Sendable, Equatable {
    /// nil: any status.
    public var statuses: [RunStatus]?
    /// The script's path relative to the scripts dir, exactly.
    public var script: String?
    /// Runs carrying this tag.
    public var tag: String?
    /// Created at or after / at or before, epoch milliseconds.
    public var sinceMillis: Int64?
    public var untilMillis: Int64?
    public var limit: Int
    public var offset: Int
    /// Oldest first; the default is newest first.
    public var ascending: Bool

    public init(statuses: [RunStatus]? = nil, script: String? = nil, tag: String? = nil, sinceMillis: Int64? = nil,
                untilMillis: Int64? = nil, limit: Int = 50, offset: Int = 0, ascending: Bool = false) {
        self.statuses = statuses; self.script = script; self.tag = tag; self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis; self.limit = limit; self.offset = offset; self.ascending = ascending
    }
}
