import CSQLite
import Glibc

/// One SQLite connection with the handful of calls the run index makes. Not thread-safe by itself: its owner
/// serialises use (the connection is opened with SQLITE_OPEN_NOMUTEX and kept behind a Mutex), which is
/// what makes handing it between threads safe (hence `@unchecked Sendable`).
final class SQLiteConnection: @unchecked Sendable {
    let db: OpaquePointer
    let path: String

    /// Why a call failed, with SQLite's primary result code (to tell corruption from a busy database).
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { message }
        var isCorruption: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }
        /// Another connection holds a lock this instant: worth trying again, never a reason to rebuild.
        var isContention: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    }

    init(path: String) throws(Failure) {
        var h: OpaquePointer?
        let rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let h else {
            let msg = h.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let h { sqlite3_close_v2(h) }
            throw Failure(code: rc, message: msg)
        }
        db = h
        self.path = path
    }

    deinit { sqlite3_close_v2(db) }

    /// Waits for another connection's lock for up to `seconds`, looking again every 0.1–2 ms. SQLite's own
    /// handler (`sqlite3_busy_timeout`) sleeps 1, 2, 5, 10, … 100 ms between looks: a supervisor whose final
    /// index row met another process's write for a moment then waited tens of ms past its end, holding its
    /// slot meanwhile (the index is written by every server and supervisor of a workspace).
    func waitWhenBusy(seconds: Double) {
        let looks = Self.fastLooks + Int(seconds * 1_000_000) / Self.longestSleepMicros
        sqlite3_busy_handler(db, { context, count in
            guard Int(count) < Int(bitPattern: context) else { return 0 }
            usleep(UInt32(min(SQLiteConnection.firstSleepMicros << min(Int(count), 16), SQLiteConnection.longestSleepMicros)))
            return 1
        }, UnsafeMutableRawPointer(bitPattern: looks))
    }

    static let firstSleepMicros = 100
    static let longestSleepMicros = 2_000
    /// The looks before the sleeps reach their longest (100, 200, 400, 800, 1600 µs).
    static let fastLooks = 5

    private func failure(_ rc: Int32) -> Failure {
        Failure(code: rc & 0xff, message: String(cString: sqlite3_errmsg(db)))
    }

    /// Runs statements that return nothing (schema, pragmas, transactions).
    func exec(_ sql: String) throws(Failure) {
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc) }
    }

    /// Statements compiled once and kept (a search's SQL varies with its filter, but the same few forms
    /// recur: compiling them again cost more than running them). Cleared when it grows past a bound.
    private var cache: [String: Statement] = [:]
    static let cacheLimit = 64

    /// A kept statement for `sql` (reset by its next `bind`); the caller must not use it in two places at once.
    func cached(_ sql: String) throws(Failure) -> Statement {
        if let st = cache[sql] { return st }
        if cache.count >= Self.cacheLimit { cache.removeAll() }
        let st = try prepare(sql)
        cache[sql] = st
        return st
    }

    func prepare(_ sql: String) throws(Failure) -> Statement {
        var st: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &st, nil)
        guard rc == SQLITE_OK, let st else { throw failure(rc) }
        return Statement(handle: st, connection: self)
    }

    /// A prepared statement; reset before every use, finalised with its owner.
    final class Statement {
        let handle: OpaquePointer
        unowned let connection: SQLiteConnection

        init(handle: OpaquePointer, connection: SQLiteConnection) { self.handle = handle; self.connection = connection }
        deinit { sqlite3_finalize(handle) }

        /// Binds values by position (1-based in SQLite; given here in order).
        func bind(_ values: [Value]) {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            for (i, v) in values.enumerated() {
                let n = Int32(i + 1)
                switch v {
                case .int(let x): sqlite3_bind_int64(handle, n, x)
                case .real(let x): sqlite3_bind_double(handle, n, x)
                case .text(let s): sqlite3_bind_text(handle, n, s, -1, SQLiteConnection.transient)
                case .null: sqlite3_bind_null(handle, n)
                }
            }
        }

        /// Steps once: true when a row is available.
        func step() throws(Failure) -> Bool {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            let f = connection.failure(rc)
            sqlite3_reset(handle)
            throw f
        }

        /// Runs to completion (an INSERT, UPDATE or DELETE).
        func run(_ values: [Value]) throws(Failure) {
            bind(values)
            while try step() {}
            sqlite3_reset(handle)
        }

        /// The first column of the first row as an integer (nil: no row); reset after, so it holds no lock.
        func firstInt(_ values: [Value]) throws(Failure) -> Int64? {
            bind(values)
            defer { sqlite3_reset(handle) }
            return try step() ? int(0) : nil
        }

        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

        /// Ends the statement's current use (and the read snapshot it holds).
        func reset() { sqlite3_reset(handle) }

        func text(_ column: Int32) -> String {
            guard let p = sqlite3_column_text(handle, column) else { return "" }
            return String(cString: p)
        }

        /// The column's bytes, without building a String (record JSON goes straight to the parser).
        func bytes(_ column: Int32) -> [UInt8] {
            guard let p = sqlite3_column_text(handle, column) else { return [] }
            let n = Int(sqlite3_column_bytes(handle, column))
            return Array(UnsafeBufferPointer(start: p, count: n))
        }
    }

    enum Value {
        case int(Int64)
        case real(Double)
        case text(String)
        case null
    }

    /// SQLITE_TRANSIENT: SQLite copies bound text (Swift's temporary C string does not outlive the call).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
