/// A wrong `validation` or `profiles` section of `backtest-rpc.json`: which key (a dotted path, with file names in
/// brackets: `profiles.signals.files["signals.csv"].min_rows`) and what was wrong with it.
public struct ValidationConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let reason: String

    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}
