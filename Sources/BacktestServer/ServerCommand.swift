import Dispatch
import Glibc
import JSON
import JSONRPC

/// The server mode of the binary: one client on stdin/stdout. Returns the process's exit code; `main`
/// exits with it (nothing in the library exits the process).
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
            writeAll(Array((text + "\n").utf8), to: code == 0 ? 1 : 2)
            return code
        case .run(let o): options = o
        }

        if options.printContract || options.printNotificationSchemas {
            let contract = ServerAssembly.contract(options: options)
            writeAll(JSONWriter.pretty(options.printContract ? contract : NotificationSchemas.document(fromOpenRPC: contract)), to: 1)
            return 0
        }

        let server = ServerAssembly(options: options, connection: .stdio(inputFD: 0, outputFD: takeOverStdout()))
        let signals = SignalHandlers.install(server)
        defer { withExtendedLifetime(signals) {} }
        return server.serve()
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

/// SIGINT cancels this server's runs before leaving (130); SIGTERM leaves at once (143).
enum SignalHandlers {
    static func install(_ server: ServerAssembly) -> [DispatchSourceSignal] {
        let queue = DispatchQueue(label: "backtest-rpc.signals")
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let int = DispatchSource.makeSignalSource(signal: SIGINT, queue: queue)
        int.setEventHandler { @Sendable in server.interrupt(code: 130) }
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: queue)
        term.setEventHandler { @Sendable in server.rpc.stop(code: 143) }
        int.resume()
        term.resume()
        return [int, term]
    }
}
