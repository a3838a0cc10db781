/// `validate` or `run` named a profile that is neither built in nor declared in the config.
public struct ProfileNotFound: Error, Sendable, Equatable, CustomStringConvertible {
    public let profile: String
    /// Every profile that does exist, built-in first.
    public let available: [String]

    public init(profile: String, available: [String]) {
        self.profile = profile
        self.available = available
    }

    public var description: String {
        "unknown validation profile \"\(profile)\" (available: \(available.joined(separator: ", ")))"
    }
}
