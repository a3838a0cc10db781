import Synchronization

/// Follows a run's log as it grows: keeps the files open and remembers the next seq, so each `readNew`
/// costs one fstat plus the preads of what is new. Opens the files lazily, so a tailer can be made for a
/// queued run before its supervisor created them.
///
/// Thread-safe (calls are serialised), though a follower normally uses it from one thread.
public final class LogTailer: Sendable {
    public let paths: RunPaths

    private struct State {
        var files: LogFiles?
        var next: Int
    }

    private let state: Mutex<State>

    /// Starts at `seq` (0: the first line; a follower resuming after `after_seq` passes after_seq + 1).
    public init(paths: RunPaths, from seq: Int = 0) {
        self.paths = paths
        state = Mutex(State(files: nil, next: max(0, seq)))
    }

    /// The seq the next returned line will have.
    public var nextSeq: Int { state.withLock { $0.next } }

    /// Lines appended since the last call (at most `max`, oldest first); empty when nothing is new.
    public func readNew(max: Int = 10_000) -> [LogLine] {
        state.withLock { s in
            if s.files == nil { s.files = LogFiles(paths: paths) }
            guard max > 0, let files = s.files else { return [] }
            let total = files.count()
            guard total > s.next else { return [] }
            let from = s.next
            let entries = files.entries(from: from, count: min(max, total - from))
            let lines = files.lines(entries.enumerated().map { (from + $0.offset, $0.element) })
            s.next = from + lines.count
            return lines
        }
    }
}
