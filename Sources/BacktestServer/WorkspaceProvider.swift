import BacktestCore
import Foundation
import Synchronization

/// Opens the workspace on first use, so that `initialize` can still name it: the root is `--workspace`, else
/// initialize's rootUri/rootPath, else the current directory. A bad config is an error for the request that
/// needed the workspace, and the next request tries again (the user may have fixed the file).
final class WorkspaceProvider: Sendable {
    private struct State {
        var root: String?
        var fromCommandLine: Bool
        var workspace: Workspace?
    }
    private let state: Mutex<State>
    private let supervisorExecutable: String
    private let onOpen: @Sendable (Workspace) -> Void

    /// `--runs-dir`, made absolute against the server's working directory.
    private let commandLineRunsDir: String?

    init(commandLineRoot: String?, commandLineRunsDir: String? = nil, supervisorExecutable: String? = nil,
         onOpen: @escaping @Sendable (Workspace) -> Void) {
        state = Mutex(State(root: commandLineRoot, fromCommandLine: commandLineRoot != nil, workspace: nil))
        self.commandLineRunsDir = commandLineRunsDir.map(Self.absolute)
        self.supervisorExecutable = supervisorExecutable ?? Self.ownExecutable()
        self.onOpen = onOpen
    }

    /// initialize's rootUri (file://...) or rootPath, unless the command line already chose.
    func suggestRoot(uri: String?, path: String?) {
        state.withLock { s in
            guard !s.fromCommandLine, s.workspace == nil else { return }
            if let uri, let url = URL(string: uri), url.isFileURL { s.root = url.path }
            else if let path { s.root = path }
        }
    }

    /// The open workspace, if a request has opened it already.
    var current: Workspace? { state.withLock { $0.workspace } }

    func workspace() throws -> Workspace {
        if let w = current { return w }
        return try state.withLock { s in
            if let w = s.workspace { return w }
            let root = Self.absolute(s.root ?? FileManager.default.currentDirectoryPath)
            let w = try Workspace(root: root, runsDir: try runsDir(forRoot: root), supervisorExecutable: supervisorExecutable,
                                  serverPID: getpid())
            // Under the lock, before anyone else gets the workspace: requests are handled side by side, and
            // a `run` that got it before the streams were attached would never be followed (its client
            // would wait for a final status forever).
            onOpen(w)
            s.workspace = w
            return w
        }
    }

    /// The operator's runs dir for this workspace: `--runs-dir`, else their user config's entry for the
    /// root; nil: the repository's `runs_dir` (which must stay inside the workspace).
    private func runsDir(forRoot root: String) throws -> String? {
        if let commandLineRunsDir { return commandLineRunsDir }
        let user = try UserConfig.load(path: UserConfig.defaultPath(environment: ProcessInfo.processInfo.environment))
        let real = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        return user.runsDir(forRoot: real)
    }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return url.standardizedFileURL.path
    }

    /// The supervisor is this same binary; /proc/self/exe survives a rename of the file on disk.
    static func ownExecutable() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(cString: buf) }
        return CommandLine.arguments[0]
    }
}
