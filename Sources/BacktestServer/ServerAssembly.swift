import JSON
import JSONRPC

/// A whole server put together on a connection: the JSON-RPC layer, the session the handlers share, and
/// the method table. The binary builds one on stdio; tests build one in memory (`Connection.memory()`) and
/// run whole sessions in-process.
public final class ServerAssembly: Sendable {
    public let rpc: JSONRPCServer
    let session: ServerSession

    /// - supervisorExecutable: the binary that supervises runs (nil: this process's executable).
    public init(options: ServerOptions, connection: Connection, supervisorExecutable: String? = nil) {
        rpc = JSONRPCServer(options: ServerAssembly.rpcOptions(options), connection: connection)
        session = ServerSession(options: options, notifier: rpc, supervisorExecutable: supervisorExecutable)
        MethodTable.register(into: rpc.registry, session: session)
        let workspaces = session.workspaces
        rpc.onInitialize { params in
            workspaces.suggestRoot(uri: params["rootUri"]?.stringValue, path: params["rootPath"]?.stringValue)
            return [:]
        }
        if let pid = options.clientPID { rpc.watchClientProcess(pid) }
    }

    /// Serves the session until it ends. At the end of input, keeps streaming until the runs and sweeps this
    /// client started have ended (docs/runs.md), then flushes. Returns the process's exit code.
    public func serve() -> Int32 {
        let code: Int32
        switch rpc.serve() {
        case .inputClosed:
            session.streams.waitForOwnedRuns(session.workspaces.current)
            session.sweepStreams.waitForSweeps(session.workspaces.current)
            rpc.flushAndWait(timeout: 10)
            code = 0
        case .outputClosed:
            code = 0
        case .exit(let c), .stopped(let c):
            code = c
        }
        // A scheduling pass under way (after a `run` it runs in the background, after the answer) must hand
        // the run it claimed to a supervisor before the process goes: a claimer that dies mid-claim leaves a
        // run that looks started and never was. A pass takes milliseconds.
        session.workspaces.current?.waitForStartupWork()
        return code
    }

    /// Ctrl+C: cancel the runs and sweeps this client started, wait for their final records, then end the session.
    public func interrupt(code: Int32) {
        if let ws = session.workspaces.current {
            for id in session.streams.ownedRuns { _ = try? ws.cancel(runID: id) }
            for id in session.sweepStreams.sweepIDs {
                _ = try? ws.cancelSweep(id)
                session.sweepStreams.refresh(id, in: ws)
            }
        }
        session.streams.waitForOwnedRuns(session.workspaces.current)
        session.sweepStreams.waitForSweeps(session.workspaces.current)
        rpc.flushAndWait(timeout: 2)
        rpc.stop(code: code)
    }

    /// The published contract (protocol/openrpc.json), from the same table that serves requests.
    public static func contract(options: ServerOptions) -> JSONValue {
        let registry = MethodRegistry()
        MethodTable.register(into: registry, session: ServerSession(options: options, notifier: DiscardedNotifications()))
        return JSONRPCServer.discoveryDocument(registry: registry, options: rpcOptions(options))
    }

    static func rpcOptions(_ o: ServerOptions) -> JSONRPCServer.Options {
        .init(strict: o.strict, framing: o.framing, maxMessageSize: o.maxMessageSize, serverName: ServerInfo.name,
              serverVersion: ServerInfo.version, protocolVersion: ServerInfo.protocolVersion,
              serverDescription: ServerInfo.description)
    }
}
