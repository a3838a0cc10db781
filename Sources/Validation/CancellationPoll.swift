/// Asks whether a validation was cancelled once every 64 Ki rows: often enough to stop within a few MB of
/// a large file, rarely enough to cost nothing per row.
struct CancellationPoll {
    private var rows = 0

    /// Counts a row; true when the caller should stop.
    mutating func shouldStop(_ isCancelled: () -> Bool) -> Bool {
        rows += 1
        guard rows == 1 << 16 else { return false }
        rows = 0
        return isCancelled()
    }
}
