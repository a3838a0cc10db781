/// Where following a run starts.
public enum FollowStart: Sendable {
    /// From its first line, and with `queued` as the status last seen: for a run the client just submitted
    /// (it may have started, or even ended, before the follower looked).
    case beginning
    /// From now: lines written from here on and status changes after the current one.
    case now
}
