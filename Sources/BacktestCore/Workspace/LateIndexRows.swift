import Dispatch
import Synchronization

/// The queued index rows of runs handed straight to a waiting supervisor (`Scheduler.startNow`), written a
/// moment later instead of before the `run` answer. Written at once, a row cost ~0.3 ms of the server's
/// CPU at the very moment the supervisor needs it to start the script (two cores: the script, the
/// supervisor, the server and the client share them). Each row carries the version of the record it was
/// made from, so written late it never hides a later status the supervisor wrote meanwhile.
///
/// Whatever in this process reads the index for the runs it just made (`list`, counts, `delete`) calls
/// `flush` first, so it never misses one; other processes see the supervisor's own row from its first save.
final class LateIndexRows: Sendable {
    private let index: RunIndex
    private let pending = Mutex<[(record: RunRecord, version: Int64)]>([])
    /// Held while rows are written: a `flush` returns only once the rows it found are in the index, even
    /// when the timer took them an instant before.
    private let writing = Mutex<Void>(())

    /// How long after its run's hand-over a row is written: after the script's start, which it would
    /// otherwise delay.
    static let delay = 0.01

    init(index: RunIndex) { self.index = index }

    func add(_ record: RunRecord, version: Int64) {
        let first = pending.withLock { rows in
            rows.append((record, version))
            return rows.count == 1
        }
        if first {
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + Self.delay) { [self] in flush() }
        }
    }

    /// Writes every row still pending (one transaction).
    func flush() {
        writing.withLock { _ in
            let rows = pending.withLock { rows in
                defer { rows = [] }
                return rows
            }
            index.upsert(rows)
        }
    }
}
