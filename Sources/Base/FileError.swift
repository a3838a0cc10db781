import Glibc

/// A file operation that failed: which call, on which path, and why. Its text, `open /a/b: No such file or
/// directory`, is what the modules put into warnings and errors; each maps it to its own error where it
/// needs one (`CoreError.workspace`, `ProvenanceError.io`).
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The system call (`open`, `write`, `fsync`, `rename`, `mkdir`, `read`).
    public let operation: String
    public let path: String
    /// The errno value; 0 when the failure is not a system call's (`reason` says what it is).
    public let code: Int32
    /// `strerror(code)`, or the failure in words.
    public let reason: String

    /// A failed system call: `reason` is the errno's text.
    public init(operation: String, path: String, code: Int32) {
        self.operation = operation; self.path = path; self.code = code; reason = errnoText(code)
    }

    /// A failure that is no errno (a path that exists but is not a directory).
    public init(operation: String, path: String, reason: String) {
        self.operation = operation; self.path = path; code = 0; self.reason = reason
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}

/// The text of an errno value (`No space left on device`); by default the current errno's.
package func errnoText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }
