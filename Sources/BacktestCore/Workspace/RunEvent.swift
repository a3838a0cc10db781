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

/// Identifies one `follow` registration, for `addRun` and `unfollow`.
public struct FollowToken: Hashable, Sendable {
    let id: Int
}

/// Where following a run starts.
public enum FollowStart: Sendable {
    /// From its first line, and with `queued` as the status last seen: for a run the client just submitted
    /// (it may have started, or even ended, before the follower looked).
    case beginning
    /// From now: lines written from here on and status changes after the current one.
    case now
}
