/// Something a follower of runs is told, in the order it happened for each run: a run's lines always
/// arrive before its terminal status.
public enum RunEvent: Sendable {
    /// The run changed status. `previous` is the status the follower last saw (the `queued` a submitter was
    /// answered with, for a run followed from its beginning), or nil when unknown.
    case status(record: RunRecord, previous: RunStatus?)
    /// New lines of the run's output, oldest first, in batches of at most `RunFollower.batchSize`.
    case lines(runID: String, lines: [LogLine])
    /// The latest line of a tick that reads as progress (at most one per run per tick).
    case progress(runID: String, Progress)
}
