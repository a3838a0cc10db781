/// A wrong member of a config file: which key (a path such as `validation.rules.min_trades`, with names that
/// are not identifiers in brackets: `profiles.signals.files["signals.csv"]`, `env["A=B"]`; empty for the
/// file as a whole) and what was wrong with it. Each module puts it into its own error with the file's path.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}
