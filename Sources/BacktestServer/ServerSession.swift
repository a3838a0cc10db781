import BacktestCore
import Foundation
import JSON
import JSONRPC

/// What the method handlers of one server share: the workspace (opened on first use), the client's run
/// streams, and when the server started.
final class ServerSession: Sendable {
    let options: ServerOptions
    let workspaces: WorkspaceProvider
    let streams: RunStreams
    let startedAt = Date()

    init(options: ServerOptions, notifier: RunStreams.Notifier) {
        self.options = options
        let streams = RunStreams(notifier: notifier)
        self.streams = streams
        workspaces = WorkspaceProvider(commandLineRoot: options.workspace, onOpen: { ws in streams.attach(ws) })
    }

    /// The workspace, with core errors turned into protocol errors.
    func workspace() throws -> Workspace {
        do { return try workspaces.workspace() } catch let e as CoreError { throw e.rpcError }
    }
}

/// Runs a core call and turns a CoreError into its documented JSON-RPC error.
func core<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CoreError { throw e.rpcError }
}
