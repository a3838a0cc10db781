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
/// Three tables: `runs` holds the columns `list` filters and sorts on (small rows, so counting and scanning stay
/// fast); `run_values` holds, one row each, the values a search names (params, metrics, summary, tags, sweep,
/// cache origin, profile: `RunValue`), indexed by key and value so that every condition of a `where` reads one
/// index range (docs/search.md; `RunSearch` answers queries); `records` holds each record's JSON, read only
/// for the page of runs a `list` returns. All three are written in one transaction, so they never disagree.
///
/// Several processes write rows (servers, supervisors), and a row may be refreshed from a run.json read a
/// moment before its owner wrote a newer one. So every row carries the version of the run.json it came from
/// (its mtime in ns) and its status's rank in the life of a run; an older version never replaces a newer
/// one, and within one mtime tick (timestamps are coarse) a status never goes back.
public final class RunIndex: RunIndexing, Sendable {
    /// Bump when the schema changes: an index of another version is dropped and rebuilt.
    static let schemaVersion: Int64 = 3

    public let path: String
    /// Whether opening found no usable index (so every record had to be read back from the run dirs).
    public let wasRebuilt: Bool
    private let state: Mutex<State>

    private final class State: @unchecked Sendable {
        let db: SQLiteConnection
        var upsertRun: SQLiteConnection.Statement
        var upsertRecord: SQLiteConnection.Statement
        var runNumber: SQLiteConnection.Statement
        var deleteValues: SQLiteConnection.Statement
        var insertValue: SQLiteConnection.Statement
        /// The database file this connection opened (another process may replace a broken one).
        let inode: UInt64?
        init(db: SQLiteConnection) throws(SQLiteConnection.Failure) {
            self.db = db
            inode = FileSystem.fingerprint(db.path)?.inode
            upsertRun = try db.prepare("""
                INSERT INTO runs(run_id, status, script, created_at, version, rank) VALUES(?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(run_id) DO UPDATE SET status = ?2, script = ?3, created_at = ?4, version = ?5, rank = ?6
                WHERE ?5 > runs.version OR (?5 = runs.version AND ?6 >= runs.rank)
                """)
            upsertRecord = try db.prepare("""
                INSERT INTO records(run_id, json) VALUES(?1, ?2) ON CONFLICT(run_id) DO UPDATE SET json = ?2
                """)
            runNumber = try db.prepare("SELECT id FROM runs WHERE run_id = ?")
            deleteValues = try db.prepare("DELETE FROM run_values WHERE run = (SELECT id FROM runs WHERE run_id = ?)")
            insertValue = try db.prepare("INSERT OR REPLACE INTO run_values(run, key, num, text) VALUES(?, ?, ?, ?)")
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
        db.waitWhenBusy(seconds: 5)
        // A search reads index ranges and looks runs up all over the file: with SQLite's default 2 MiB of
        // cache, most of those reads would go back to the OS. Pages are only cached as they are read.
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;")
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
                DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS run_values;
                -- id: the run's number in this file, which run_values refers to (a join on an integer is
                -- cheaper than on the text id). Kept by updates, so a run's values never change hands.
                CREATE TABLE runs(id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
                                  script TEXT NOT NULL, created_at INTEGER NOT NULL, version INTEGER NOT NULL,
                                  rank INTEGER NOT NULL);
                CREATE INDEX runs_status ON runs(status);
                CREATE INDEX runs_script ON runs(script);
                CREATE INDEX runs_created ON runs(created_at);
                CREATE TABLE records(run_id TEXT PRIMARY KEY, json TEXT NOT NULL);
                -- Keyed by (run, key): a run's values are replaced together, and a condition or sort key joins
                -- on it. The two indexes carry the primary key, so a range of one is all a condition reads.
                CREATE TABLE run_values(run INTEGER NOT NULL, key TEXT NOT NULL, num REAL, text TEXT,
                                        PRIMARY KEY(run, key)) WITHOUT ROWID;
                CREATE INDEX run_values_num ON run_values(key, num);
                CREATE INDEX run_values_text ON run_values(key, text);
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
                                         .int(version), .int(Int64(r.status.stage))])
                    // Unchanged row: this record was older than the one indexed; its JSON must not replace it.
                    guard sqlite3_changes(s.db.db) > 0 else { continue }
                    try s.upsertRecord.run([.text(r.runID), .text(JSONWriter.string(r.json(), numbersAsWritten: true))])
                    try s.deleteValues.run([.text(r.runID)])
                    guard let run = try s.runNumber.firstInt([.text(r.runID)]) else { continue }
                    for v in RunValue.rows(of: r) {
                        try s.insertValue.run([.int(run), .text(v.key), v.number.map { .real($0) } ?? .null,
                                               v.text.map { .text($0) } ?? .null])
                    }
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

    /// Forgets runs whose directories are gone.
    func remove(runIDs: [String]) {
        guard !runIDs.isEmpty else { return }
        state.withLock { s in
            do throws(SQLiteConnection.Failure) {
                try s.db.exec("BEGIN IMMEDIATE")
                let a = try s.db.prepare("DELETE FROM runs WHERE run_id = ?")
                let b = try s.db.prepare("DELETE FROM records WHERE run_id = ?")
                // The values first: they are found through the runs row.
                for id in runIDs { try s.deleteValues.run([.text(id)]); try a.run([.text(id)]); try b.run([.text(id)]) }
                try s.db.exec("COMMIT")
            } catch {
                try? s.db.exec("ROLLBACK")
                Self.warn("cannot update the run index: \(error.description)")
            }
        }
    }

    // MARK: reading

    /// Every run id in the index.
    /// Ids of the runs created at or after `millis`, oldest first: how a follower of all runs finds new ones
    /// (every process that creates a run writes its row before the run can start).
    func runIDs(createdSince millis: Int64) throws(CoreError) -> [String] {
        try read { (db) throws(SQLiteConnection.Failure) in
            let st = try db.prepare("SELECT run_id FROM runs WHERE created_at >= ?1 ORDER BY created_at, run_id")
            st.bind([.int(millis)])
            var ids: [String] = []
            while try st.step() { ids.append(st.text(0)) }
            return ids
        }
    }

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

    /// One page of runs matching `q`, in its order, and how many match in all.
    public func query(_ q: RunQuery) throws(CoreError) -> (total: Int, runs: [RunRecord]) {
        try read { (db) throws(SQLiteConnection.Failure) in try RunSearch(query: q).run(on: db) }
    }

    /// SQLite's plan for the count and the page of `q` (EXPLAIN QUERY PLAN, one line per step): what the
    /// search benchmark prints to show that every condition reads an index.
    public func queryPlan(_ q: RunQuery) throws(CoreError) -> [String] {
        try read { (db) throws(SQLiteConnection.Failure) in try RunSearch(query: q).plan(on: db) }
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

    static func decode(_ bytes: [UInt8]) -> RunRecord? {
        guard let v = try? JSONParser.parse(bytes, keepingNumberText: true) else { return nil }
        return RunRecord(json: v)
    }

    static func warn(_ message: String) {
        var line = Array("backtest-rpc: \(message)\n".utf8)
        _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress!, $0.count) }
    }
}
