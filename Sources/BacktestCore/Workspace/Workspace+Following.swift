/// Following runs live (see `RunFollower`): status changes, log lines and progress of any run of the
/// workspace, whichever process started it.
extension Workspace {
    /// Starts following `runIDs` (nil: every run, including runs created later by any process) and returns
    /// the token for `addRun` and `unfollow`. Runs already under way are followed `from` now by default;
    /// `handler` is called on the follower thread and must not block for long.
    public func follow(runIDs: Set<String>?, from: FollowStart = .now,
                       handler: @escaping @Sendable (RunEvent) -> Void) -> FollowToken {
        follower.follow(runIDs: runIDs, from: from, handler: handler)
    }

    /// Adds a run to a follower: by default from its beginning (for a run just submitted, whose first lines
    /// or even end may come before the follower looks). Pass `.now` for a run already under way.
    public func addRun(_ runID: String, to token: FollowToken, from: FollowStart = .beginning) {
        follower.addRun(runID, to: token, from: from)
    }

    public func unfollow(_ token: FollowToken) {
        follower.unfollow(token)
    }
}
