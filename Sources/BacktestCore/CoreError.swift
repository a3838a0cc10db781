import Base

/// Errors a user can cause, each with the facts a client needs to act on it. The server maps every case to
/// a documented JSON-RPC error code; the core itself knows nothing of codes.
public enum CoreError: Error, Sendable, Equatable {
    case runNotFound(runID: String)
    case scriptNotFound(script: String, scriptsDir: String)
    case scriptOutsideWorkspace(script: String, scriptsDir: String)
    /// `interpreter`: the command that was tried (and not found where `searched` says), when there was one.
    case scriptNotRunnable(script: String, fileExtension: String, interpreter: String? = nil, searched: String? = nil)
    case configInvalid(path: String, key: String, reason: String)
    case runFinished(runID: String, status: RunStatus)
    case runNotFinished(runID: String, status: RunStatus)
    case profileNotFound(profile: String, available: [String])
    case pathOutsideRun(runID: String, path: String)
    case fileNotFound(runID: String, path: String)
    case resultsMissing(runID: String, file: String)
    case workspace(path: String, reason: String)
    /// A param that passed the schema but makes no sense to the core (e.g. a negative timeout).
    case invalidArgument(field: String, reason: String)
    case sweepNotFound(sweepID: String)
    /// Runs an operation on ended runs (`delete`) was asked to touch while they are still queued or running.
    case runsActive(runIDs: [String])
}

extension CoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .runNotFound(let id): return "no run with id \(id)"
        case .scriptNotFound(let s, let dir): return "script \(s) not found under \(dir)"
        case .scriptOutsideWorkspace(let s, let dir): return "script \(s) is outside the scripts dir \(dir)"
        case .scriptNotRunnable(let s, let ext, let interpreter?, let searched):
            return "script \(s): interpreter '\(interpreter)' for '\(ext)' was not found"
                + (searched.map { " (looked for in \($0))" } ?? "") + " and the script is not executable"
        case .scriptNotRunnable(let s, let ext, nil, _):
            return "script \(s) has no interpreter for '\(ext)' and is not executable"
        case .configInvalid(let path, let key, let reason): return "\(path): \(key): \(reason)"
        case .runFinished(let id, let st): return "run \(id) has already ended (\(st.rawValue))"
        case .runNotFinished(let id, let st): return "run \(id) has not ended yet (\(st.rawValue))"
        case .profileNotFound(let p, let avail):
            return "no validation profile \(p) (available: \(avail.joined(separator: ", ")))"
        case .pathOutsideRun(_, let p): return "path \(p) leaves the run's results directory"
        case .fileNotFound(_, let p): return "no file \(p) in the run's results"
        case .resultsMissing(let id, let f): return "run \(id) has no \(f)"
        case .workspace(let path, let reason): return "workspace: \(path): \(reason)"
        case .invalidArgument(let field, let reason): return "\(field): \(reason)"
        case .sweepNotFound(let id): return "no sweep with id \(id)"
        case .runsActive(let ids):
            return "\(ids.count) run\(ids.count == 1 ? " is" : "s are") still queued or running (\(ids.prefix(5).joined(separator: ", "))\(ids.count > 5 ? ", ..." : "")): cancel \(ids.count == 1 ? "it" : "them") first"
        }
    }
}

extension CoreError {
    /// Runs a file operation of the workspace and reports its failure the way every workspace error reads:
    /// `workspace(path, reason)`, with `path` the file meant and errno's words (`No space left on device`),
    /// which is what clients and the disk-full handling (`RecordReserve.reason`) look for.
    static func workspaceFile<R>(_ path: String, _ body: () throws(FileError) -> R) throws(CoreError) -> R {
        do { return try body() } catch { throw .workspace(path: path, reason: error.reason) }
    }
}
