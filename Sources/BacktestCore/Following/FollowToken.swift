/// Identifies one `follow` registration, for `addRun` and `unfollow`.
public struct FollowToken: Hashable, Sendable {
    let id: Int
}
