import JSON
import Synchronization

/// The table of methods keyed by name: dispatch, parameter validation, capabilities and the OpenRPC
/// document all read it. Register everything before `JSONRPCServer.start()`; registering later is safe
/// (it is locked) but a client may already have seen the capabilities.
public final class MethodRegistry: Sendable {
    /// A method as dispatch sees it. The built-in methods have no handler: the server serves them.
    struct Entry: Sendable {
        let spec: MethodSpec
        let handler: MethodHandler?
    }

    private struct Tables {
        var methods: [String: Entry] = [:]
        var errorMapping: (@Sendable (any Error) -> RPCError?)?
        /// The application's errors by stable name (for `components.errors`), and extra top-level members.
        var namedErrors: [(String, ErrorSpec)] = []
        var extensions: [(String, JSONValue)] = []
        var notificationHandlers: [String: NotificationHandler] = [:]
        var notifications: [String: NotificationSpec] = [:]
    }

    private let tables: Mutex<Tables>

    /// A registry that already holds the built-in lifecycle and discovery methods.
    public init() {
        var t = Tables()
        for spec in BuiltinMethods.methods { t.methods[spec.name] = Entry(spec: spec, handler: nil) }
        tables = Mutex(t)
    }

    /// Adds a method (or replaces one of the same name). The built-in names (`initialize`, `shutdown`,
    /// `rpc.discover`) cannot be replaced: use the server's hooks instead.
    public func register(_ spec: MethodSpec, handler: @escaping MethodHandler) {
        precondition(!BuiltinMethods.isBuiltin(spec.name), "\(spec.name) is served by JSONRPCServer itself")
        precondition(!spec.name.hasPrefix("$/") && !spec.name.hasPrefix("rpc."),
                     "\(spec.name): the $/ and rpc. prefixes are reserved")
        tables.withLock { $0.methods[spec.name] = Entry(spec: spec, handler: handler) }
    }

    /// Handles a client→server notification. The handler runs on the reader thread and must not block.
    /// `initialized` may be given a handler too; `exit` and `$/cancelRequest` are the server's.
    public func registerNotificationHandler(_ name: String, handler: @escaping NotificationHandler) {
        tables.withLock { $0.notificationHandlers[name] = handler }
    }

    /// Declares a server→client notification, for capabilities and discovery.
    public func declare(_ notification: NotificationSpec) {
        tables.withLock { $0.notifications[notification.name] = notification }
    }

    /// How the application's own errors become JSON-RPC errors: the one place that decides it (the
    /// application's error type → its documented code and data). An error it does not know (nil) answers
    /// -32603 with the error's description.
    public func mapErrors(_ mapping: @escaping @Sendable (any Error) -> RPCError?) {
        tables.withLock { $0.errorMapping = mapping }
    }

    /// The JSON-RPC error a handler's thrown error answers with.
    func rpcError(for error: any Error) -> RPCError {
        if let e = error as? RPCError { return e }
        if let mapped = tables.withLock({ $0.errorMapping })?(error) { return mapped }
        return .internalError(reason: String(describing: error))
    }

    /// Publishes an application error under a stable name in the contract's `components.errors`, beside
    /// the transport's own, so that clients can generate their error tables from the contract.
    public func declareError(_ name: String, _ spec: ErrorSpec) {
        tables.withLock { $0.namedErrors.append((name, spec)) }
    }

    /// Adds a top-level `x-…` member to the contract (facts clients generate code from).
    public func declareExtension(_ name: String, _ value: JSONValue) {
        precondition(name.hasPrefix("x-"), "contract extensions are named x-…")
        tables.withLock { $0.extensions.append((name, value)) }
    }

    func entry(_ name: String) -> Entry? { tables.withLock { $0.methods[name] } }

    func notificationHandler(_ name: String) -> NotificationHandler? {
        tables.withLock { $0.notificationHandlers[name] }
    }

    /// Names of the methods a client may call (hidden ones left out), sorted.
    public var methodNames: [String] {
        tables.withLock { t in t.methods.values.filter { !$0.spec.hidden }.map(\.spec.name) }.sorted()
    }

    /// Names of the declared server→client notifications, sorted.
    public var notificationNames: [String] {
        tables.withLock { Array($0.notifications.keys) }.sorted()
    }

    /// The OpenRPC 1.3 document: methods sorted by name, every member in a fixed order, so that the same
    /// registry always gives the same bytes (a test compares it with the checked-in protocol/openrpc.json).
    public func openRPCDocument(title: String, version: String, description: String) -> JSONValue {
        let (methods, notifications, errors, extensions) = tables.withLock { t in
            (t.methods.values.map(\.spec).filter { !$0.hidden }, Array(t.notifications.values), t.namedErrors, t.extensions)
        }
        return OpenRPCDocument.make(title: title, version: version, description: description,
                                    methods: methods, notifications: notifications, namedErrors: errors,
                                    extensions: extensions)
    }
}
