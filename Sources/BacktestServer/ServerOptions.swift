import BacktestCore
import JSONRPC

/// The command line of the server.
public struct ServerOptions: Sendable {
    public var workspace: String?
    /// A runs dir outside the workspace (shared scratch space), chosen by whoever runs the server.
    public var runsDir: String?
    public var framing: Framing = .auto
    public var strict = false
    public var maxMessageSize = 64 << 20
    public var clientPID: Int32?
    /// Registers test-only methods (`debug/print`); never listed in the published contract.
    public var debugMethods = false
    /// Print the OpenRPC document (protocol/openrpc.json) and exit.
    public var printContract = false
    /// Print the JSON Schema of the notifications (protocol/notifications.schema.json) and exit.
    public var printNotificationSchemas = false

    public init() {}

    static let usage = """
        usage: backtest-rpc [--workspace DIR] [--runs-dir DIR] [--framing auto|lsp|ndjson] [--strict]
                            [--max-message-size BYTES] [--client-pid PID] [--version] [--openrpc]
                            [--notification-schemas]
        JSON-RPC 2.0 on stdin/stdout. See docs/protocol.md.
        """

    enum ParseOutcome { case run(ServerOptions), exit(Int32, String) }

    static func parse(_ args: [String]) -> ParseOutcome {
        var o = ServerOptions()
        var i = 0
        func value() -> String? { i += 1; return i < args.count ? args[i] : nil }
        while i < args.count {
            switch args[i] {
            case "--workspace": guard let v = value() else { return .exit(2, "--workspace needs a directory") }; o.workspace = v
            case "--runs-dir": guard let v = value(), !v.isEmpty else { return .exit(2, "--runs-dir needs a directory") }; o.runsDir = v
            case "--framing":
                guard let v = value(), let f = Framing(rawValue: v) else { return .exit(2, "--framing takes auto, lsp or ndjson") }
                o.framing = f
            case "--strict": o.strict = true
            case "--max-message-size":
                guard let v = value(), let n = Int(v), n > 0 else { return .exit(2, "--max-message-size takes a byte count") }
                o.maxMessageSize = n
            case "--client-pid":
                guard let v = value(), let n = Int32(v), n > 0 else { return .exit(2, "--client-pid takes a pid") }
                o.clientPID = n
            case "--debug-methods": o.debugMethods = true
            case "--openrpc": o.printContract = true
            case "--notification-schemas": o.printNotificationSchemas = true
            case "--version": return .exit(0, "backtest-rpc \(ServerInfo.version)")
            case "--help", "-h": return .exit(0, usage)
            default: return .exit(2, "unknown argument \(args[i])\n" + usage)
            }
            i += 1
        }
        return .run(o)
    }
}

/// Who we are, as initialize and health say.
public enum ServerInfo {
    public static let name = "backtest-rpc"
    public static let version = BacktestVersion.current
    public static let protocolVersion = "1.0"
    public static let description =
        "Run, watch, validate and compare backtest scripts: JSON-RPC 2.0 over stdio. Application errors: "
        + ErrorCode.all.keys.sorted().map { "\($0) \(ErrorCode.names[$0] ?? "")" }.joined(separator: ", ") + "."
}
