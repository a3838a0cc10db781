import Glibc

/// Why a provenance operation could not be done. Callers turn these into warnings on the run record (a
/// metadata failure never fails a run) or, for `report`, into the protocol's `results_missing` error.
public enum ProvenanceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call on `path` failed.
    case io(path: String, operation: String, errno: Int32)
    /// A file the operation needs does not exist (report without pnl.csv).
    case missingFile(path: String)
    /// A file exists but its content cannot be used (pnl.csv without its columns).
    case invalidContent(path: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let code):
            return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .missingFile(let path):
            return "\(path): no such file"
        case .invalidContent(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
