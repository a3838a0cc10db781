import BacktestCore
import Dispatch
import Foundation
import JSON
import JSONRPC
import Synchronization

/// The server mode of the binary: one client on stdin/stdout.
///
/// How it ends (docs/runs.md):
/// - stdin EOF (or the client process dies): stop reading, keep streaming until the runs this server
///   started have ended, exit 0;
/// - EPIPE on stdout: the client is gone, leave at once; runs go on (their supervisors are detached);
/// - SIGINT (Ctrl+C): cancel the runs this server started, wait for their records, exit 130;
/// - SIGTERM or the `exit` notification: leave at once; runs go on.
public enum ServerCommand {
    public static func main(arguments: [String]) -> Int32 {
        let options: ServerOptions
        switch ServerOptions.parse(arguments) {
        case .exit(let code, let text):
            let out = text + "\n"
            _ = out.withCString { write(code == 0 ? 1 : 2, $0, strlen($0)) }
            return code
        case .run(let o): options = o
        }

        if options.printContract || options.printNotificationSchemas {
            let registry = MethodRegistry()
            MethodTable.register(into: registry, session: ServerSession(
                options: options, notifier: .init(send: { _, _, _ in false }, sendEncoded: { _, _, _ in false })))
            let contract = JSONRPCServer.discoveryDocument(registry: registry, options: rpcOptions(options))
            let doc = JSONWriter.pretty(options.printContract ? contract : NotificationSchemas.document(fromOpenRPC: contract))
            _ = doc.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            return 0
        }

        let protocolOut = takeOverStdout()
        let rpcBox = Mutex<JSONRPCServer?>(nil)
        let session = ServerSession(options: options, notifier: RunStreams.Notifier(
            send: { method, params, droppable in
                rpcBox.withLock { $0 }?.notify(method, params: params, droppable: droppable) ?? false
            },
            sendEncoded: { method, params, droppable in
                rpcBox.withLock { $0 }?.notify(method, encodedParams: params, droppable: droppable) ?? false
            }))
        let registry = MethodRegistry()
        MethodTable.register(into: registry, session: session)

        let rpc = JSONRPCServer(registry: registry, options: rpcOptions(options), inputFD: 0, outputFD: protocolOut)
        rpcBox.withLock { $0 = rpc }

        let inputClosed = DispatchSemaphore(value: 0)
        rpc.onInitialize { params in
            session.workspaces.suggestRoot(uri: params["rootUri"]?.stringValue, path: params["rootPath"]?.stringValue)
            return [:]
        }
        rpc.onInputClosed { inputClosed.signal() }
        rpc.onOutputClosed { exit(0) }
        rpc.onExit { code in exit(code) }
        let signals = SignalHandlers.install(session: session, rpc: rpc)
        if let pid = options.clientPID { rpc.watchClientProcess(pid) }

        rpc.start()
        inputClosed.wait()
        session.streams.waitForOwnedRuns(session.workspaces.current)
        rpc.flushAndWait(timeout: 10)
        withExtendedLifetime(signals) {}
        return 0
    }
}

extension ServerCommand {
    static func rpcOptions(_ o: ServerOptions) -> JSONRPCServer.Options {
        .init(strict: o.strict, framing: o.framing, maxMessageSize: o.maxMessageSize, serverName: ServerInfo.name,
              serverVersion: ServerInfo.version, protocolVersion: ServerInfo.protocolVersion,
              serverDescription: ServerInfo.description)
    }
}

/// SIGINT cancels this server's runs before leaving; SIGTERM leaves at once.
enum SignalHandlers {
    static func install(session: ServerSession, rpc: JSONRPCServer) -> [DispatchSourceSignal] {
        let queue = DispatchQueue(label: "backtest-rpc.signals")
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let int = DispatchSource.makeSignalSource(signal: SIGINT, queue: queue)
        int.setEventHandler { @Sendable in
            if let ws = session.workspaces.current {
                for id in session.streams.ownedRuns { _ = try? ws.cancel(runID: id) }
            }
            session.streams.waitForOwnedRuns(session.workspaces.current)
            rpc.flushAndWait(timeout: 2)
            exit(130)
        }
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: queue)
        term.setEventHandler { @Sendable in exit(143) }
        int.resume()
        term.resume()
        return [int, term]
    }
}
