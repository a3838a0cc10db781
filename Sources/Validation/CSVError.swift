/// Why a CSV file could not be read to the end, with the physical line (1-based) where the problem starts.
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A quoted field that is still open at the end of the file (pandas: "EOF inside string").
        case unterminatedQuote
        /// One record longer than the reader's limit: almost always a quote that closes far too late.
        case recordTooLong
        /// open(2) or read(2) failed.
        case io
    }

    public let kind: Kind
    public let line: Int
    public let reason: String

    public init(kind: Kind, line: Int, reason: String) {
        self.kind = kind
        self.line = line
        self.reason = reason
    }

    public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
}
