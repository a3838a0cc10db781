/// Which of the script's two output streams a line came from.
public enum LogStream: String, Sendable, CaseIterable {
    case stdout, stderr

    /// The byte that stands for the stream in a `.log.idx` entry.
    public var indexCode: UInt8 { self == .stdout ? 1 : 2 }

    /// The stream of an index entry's code; nil for a code no writer produces (a damaged index).
    public init?(indexCode: UInt8) {
        switch indexCode {
        case 1: self = .stdout
        case 2: self = .stderr
        default: return nil
        }
    }
}
