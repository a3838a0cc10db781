/// Why `ResultFiles.read` refused a request. The server maps these to its own error codes
/// (2007 path_outside_run, 2008 file_not_found, -32602 invalid_params).
public enum ResultFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path is absolute, has a `..` component, or resolves (through a symlink) outside the results directory.
    case pathOutsideRun(path: String)
    /// Nothing at that path (or the results directory itself is missing).
    case fileNotFound(path: String)
    /// A well-placed path but an unusable request: a directory, a negative offset, a length out of range, ...
    case invalid(reason: String)

    public var description: String {
        switch self {
        case .pathOutsideRun(let p): return "\(p): path leaves the results directory"
        case .fileNotFound(let p): return "\(p): no such file"
        case .invalid(let r): return r
        }
    }
}
