import BacktestCore
import Foundation
import JSON
import JSONRPC
import Synchronization

/// What the method handlers of one server share: the workspace (opened on first use), the client's run
/// streams, and when the server started.
final class ServerSession: Sendable {
    let options: ServerOptions
    let workspaces: WorkspaceProvider
    let streams: RunStreams
    let sweepStreams: SweepStreams
    let startedAt = Date()
    /// Run counts for `health`, which clients poll often: counting asks the index, so reuse a fresh answer.
    let runCounts = Cached<(active: Int, queued: Int)>(maxAge: 0.1)

    /// - supervisorExecutable: the `backtest-rpc` binary that supervises runs; nil: this process's own
    ///   executable (the binary itself; tests that run a server in-process name the built binary).
    init(options: ServerOptions, notifier: any NotificationSending, supervisorExecutable: String? = nil) {
        self.options = options
        let streams = RunStreams(notifier: notifier)
        self.streams = streams
        sweepStreams = SweepStreams(notifier: notifier)
        workspaces = WorkspaceProvider(commandLineRoot: options.workspace, commandLineRunsDir: options.runsDir,
                                       supervisorExecutable: supervisorExecutable, onOpen: { ws in streams.attach(ws) })
    }

    /// The workspace, opened on first use (a CoreError when it cannot be: the method table maps it).
    func workspace() throws -> Workspace { try workspaces.workspace() }
}

/// A value recomputed at most once per `maxAge` seconds.
final class Cached<Value: Sendable>: Sendable {
    private let maxAge: Double
    private let state = Mutex<(value: Value, at: Double)?>(nil)

    init(maxAge: Double) { self.maxAge = maxAge }

    func get(_ compute: () -> Value) -> Value {
        let now = Date().timeIntervalSinceReferenceDate
        if let hit = state.withLock({ $0 }), now - hit.at < maxAge { return hit.value }
        let v = compute()
        state.withLock { $0 = (v, now) }
        return v
    }
}
