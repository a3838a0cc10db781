import Dispatch
import Glibc
import JSON
import Synchronization

/// A JSON-RPC 2.0 server on a `Connection` (stdin/stdout, or memory in tests), for one client, behaving like
/// a language server: `initialize`, `initialized`, `shutdown`, `exit`, `$/cancelRequest`, plus `rpc.discover`.
///
/// The caller owns the session: `serve()` runs it and returns how it ended; the library never exits the
/// process. Threads: one reader (`ByteSource` → `FrameParser` → dispatch; `.inline` handlers run on it), one
/// writer (`OutputWriter`), and a bounded pool for `.concurrent` handlers. Everything here is safe to call
/// from any thread.
public final class JSONRPCServer: NotificationSending {
    /// How the server behaves; set once at creation.
    public struct Options: Sendable {
        /// Requests before `initialize` answer -32002 (LSP behaviour). Off: `initialize` is optional.
        public var strict: Bool
        /// `.auto` decides from the first non-whitespace byte of input.
        public var framing: Framing
        /// Frames larger than this are answered 1002 and skipped.
        public var maxMessageSize: Int
        /// `serverInfo.name` in the initialize result, and the OpenRPC document's title.
        public var serverName: String
        /// `serverInfo.version` in the initialize result.
        public var serverVersion: String
        /// `protocol_version` in the initialize result, and the OpenRPC document's `info.version` (the API's
        /// version, not the build's, so the checked-in document changes only when the API does).
        public var protocolVersion: String
        /// The OpenRPC document's `info.description`.
        public var serverDescription: String
        /// Droppable notifications waiting to be written may use at most this many bytes.
        public var droppableBufferBytes: Int

        public init(strict: Bool = false, framing: Framing = .auto, maxMessageSize: Int = 64 << 20,
                    serverName: String, serverVersion: String, protocolVersion: String,
                    serverDescription: String = "", droppableBufferBytes: Int = 8 << 20) {
            self.strict = strict
            self.framing = framing
            self.maxMessageSize = maxMessageSize
            self.serverName = serverName
            self.serverVersion = serverVersion
            self.protocolVersion = protocolVersion
            self.serverDescription = serverDescription
            self.droppableBufferBytes = droppableBufferBytes
        }
    }

    private struct Session {
        var initialized = false
        var shutdownRequested = false
        var inputClosed = false
        var inputClosedHookFired = false
        var inFlight: [RequestID: InFlightRequest] = [:]
        var recent = RecentRequestIDs()
        var clientProcessID: Int32?
        var watch: ClientProcessWatch?
        var framing: Framing
    }

    private struct Hooks {
        var initialize: (@Sendable (JSONObject) throws -> JSONObject)?
        var shutdown: (@Sendable () -> Void)?
    }

    public let registry: MethodRegistry
    public let options: Options
    private let input: any ByteSource
    private let writer: OutputWriter
    private let ending = EndingLatch()
    private let session: Mutex<Session>
    private let hooks = Mutex(Hooks())
    /// Touched only by the reader thread; the lock is never contended.
    private let parser: Mutex<FrameParser>
    private let started = Atomic<Bool>(false)
    /// Set by `exit`: the reader stops reading.
    private let exitReceived = Atomic<Bool>(false)
    private let handlers = WorkerPool(size: WorkerPool.defaultSize, name: "jsonrpc-handler")

    /// Methods may be registered into `registry` after this (before `serve()`): the application's handlers
    /// usually need the server first, to send notifications.
    public init(registry: MethodRegistry = MethodRegistry(), options: Options, connection: Connection) {
        self.registry = registry
        self.options = options
        input = connection.input
        let ending = ending
        writer = OutputWriter(sink: connection.output, droppableBudget: options.droppableBufferBytes,
                              framing: options.framing, onClosed: {
                                  StderrLog.write("protocol output closed: the client is gone")
                                  ending.settle(.outputClosed)
                              })
        session = Mutex(Session(framing: options.framing))
        parser = Mutex(FrameParser(framing: options.framing, maxMessageSize: options.maxMessageSize))
    }

    // MARK: - Hooks (set them before start())

    /// Called with initialize's params before it is answered; may throw `RPCError` (e.g. a bad rootUri,
    /// which then becomes the answer and leaves the server uninitialised). Returns members merged into the
    /// initialize result (objects one level deep, so extra `capabilities` members join the built-in ones).
    public func onInitialize(_ hook: @escaping @Sendable (JSONObject) throws -> JSONObject) {
        hooks.withLock { $0.initialize = hook }
    }

    /// Called when `shutdown` is received, before it is answered.
    public func onShutdown(_ hook: @escaping @Sendable () -> Void) {
        hooks.withLock { $0.shutdown = hook }
    }

    // MARK: - Running

    /// Runs the session until it ends, and says how: end of input (once every request in flight is
    /// answered), the client gone, `exit`, or `stop`. What follows (waiting for runs, the process's exit
    /// code) is the caller's.
    public func serve() -> SessionEnding {
        start()
        return ending.wait()
    }

    /// Starts the reader and the writer threads and returns at once (`serve()` does this and waits). A
    /// second call does nothing.
    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.start()
        InputReader.start(
            source: input,
            onBytes: { [self] chunk in self.received(chunk) },
            onEnd: { [self] in self.inputEnded() })
    }

    /// Ends the session now (a signal, say): `serve()` returns `.stopped(code)`. Input is no longer read.
    public func stop(code: Int32) {
        exitReceived.store(true, ordering: .relaxed)
        ending.settle(.stopped(code: code))
    }

    /// How the session ended, once it has.
    public var sessionEnding: SessionEnding? { ending.current }

    /// Queues a server→client notification. `params` is left out of the message when it is `.null`.
    /// Non-droppable messages are always queued; a droppable one is refused (returns false, NOT queued)
    /// when the droppable budget is spent. Also false once the client is gone. Order is preserved.
    @discardableResult
    public func notify(_ method: String, params: JSONValue, droppable: Bool = false) -> Bool {
        writer.enqueue(MessageEncoder.notification(method: method, params: params), droppable: droppable)
    }

    /// Like `notify`, with params already encoded as one JSON object: for high-volume notifications whose
    /// sender can write their JSON faster than building a `JSONValue` first (log lines).
    @discardableResult
    public func notify(_ method: String, encodedParams: [UInt8], droppable: Bool = false) -> Bool {
        writer.enqueue(MessageEncoder.notification(method: method, encodedParams: encodedParams), droppable: droppable)
    }

    /// Waits until everything queued has been written, or the client is gone, or `timeout` seconds passed.
    public func flushAndWait(timeout: Double) {
        writer.flush(timeout: timeout)
    }

    /// The framing replies use: the option, or what `.auto` detected (`.auto` until the first byte).
    public var framingInUse: Framing { session.withLock { $0.framing } }

    /// The client's process id from initialize's `processId` (or `watchClientProcess`).
    public var clientProcessID: Int32? { session.withLock { $0.clientProcessID } }

    /// Whether `initialize` has been answered successfully.
    public var isInitialized: Bool { session.withLock { $0.initialized } }

    /// Whether `shutdown` has been received.
    public var isShuttingDown: Bool { session.withLock { $0.shutdownRequested } }

    /// Leaves as on end of input when process `pid` dies (`--client-pid`; initialize's `processId` calls
    /// this too). A pid that does not exist now is logged and ignored.
    public func watchClientProcess(_ pid: Int32) {
        let watch = ClientProcessWatch(pid: pid) { [weak self] in
            StderrLog.write("client process \(pid) is gone")
            self?.inputDidClose()
        }
        if watch == nil { StderrLog.write("client process \(pid) does not exist here: not watched") }
        let old = session.withLock { s -> ClientProcessWatch? in
            let old = s.watch
            s.watch = watch
            s.clientProcessID = pid
            return old
        }
        old?.cancel()
    }

    /// The OpenRPC document `rpc.discover` answers: generate protocol/openrpc.json with this, so that the
    /// file and the live answer cannot differ.
    public static func discoveryDocument(registry: MethodRegistry, options: Options) -> JSONValue {
        registry.openRPCDocument(title: options.serverName, version: options.protocolVersion,
                                 description: options.serverDescription)
    }

    // MARK: - Reader thread

    /// A chunk of input. Returns false to stop reading (after `exit`).
    private func received(_ chunk: UnsafeRawBufferPointer) -> Bool {
        let limit = options.maxMessageSize
        let (inbound, framing) = parser.withLock { p -> ([Inbound], Framing) in
            var out: [Inbound] = []
            p.feed(chunk, judging: { event in
                out.append(Inbound(event, maxMessageSize: limit))
                return out[out.count - 1].parsed
            })
            return (out, p.framing)
        }
        if options.framing == .auto, framing != .auto {
            let changed = session.withLock { s -> Bool in
                defer { s.framing = framing }
                return s.framing != framing
            }
            if changed { writer.setFraming(framing) }
        }
        writer.beginBurst()
        defer { writer.endBurst() }
        return handle(inbound)
    }

    private func inputEnded() {
        let limit = options.maxMessageSize
        let inbound = parser.withLock { $0.finish() }.map { Inbound($0, maxMessageSize: limit) }
        if handle(inbound) { inputDidClose() }
    }

    private func handle(_ inbound: [Inbound]) -> Bool {
        for item in inbound {
            switch item {
            case .message(let value, let source): handleFrame(value, source)
            case .failure(let error): answer(.direct, nil, .failure(error))
            }
            if exitReceived.load(ordering: .relaxed) { return false }
        }
        return true
    }

    private func handleFrame(_ value: JSONValue, _ source: MessageSource) {
        guard case .array(let elements) = value else {
            handleMessage(value, source, sink: .direct)
            return
        }
        if elements.isEmpty {
            answer(.direct, nil, .failure(.invalidRequest(reason: "empty batch")))
            return
        }
        let collector = BatchCollector(count: elements.count) { [writer] answers in
            if !answers.isEmpty { writer.enqueue(MessageEncoder.batch(answers), droppable: false) }
        }
        for (n, element) in elements.enumerated() {
            handleMessage(element, source.element(n), sink: .batch(collector, index: n))
        }
    }

    /// One request or notification (alone or from a batch). Each message settles its sink exactly once.
    /// An `id` member makes it a request, even `"id": null` (answered with `id: null`).
    private func handleMessage(_ value: JSONValue, _ source: MessageSource, sink: ResponseSink) {
        guard case .object(let message) = value else {
            return answer(sink, nil, .failure(.invalidRequest(reason: "a message must be a JSON object")))
        }
        var id: RequestID?
        if let raw = message["id"] {
            guard let parsed = source.requestID(raw, at: MessageSource.idPath) else {
                return answer(sink, nil, .failure(.invalidRequest(reason: "id must be a string, a number or null")))
            }
            id = parsed
        }
        guard message["jsonrpc"] == .string("2.0") else {
            return answer(sink, id, .failure(.invalidRequest(reason: "jsonrpc must be \"2.0\"")))
        }
        guard let methodValue = message["method"] else {
            if id != nil, message["result"] != nil || message["error"] != nil {
                // A response: this server sends no requests, so there is nothing to match it with.
                StderrLog.write("ignored a response from the client (id \(ClientEcho.text(id!.text)))")
                return settle(sink, nil)
            }
            return answer(sink, id, .failure(.invalidRequest(reason: "method is missing")))
        }
        guard case .string(let method) = methodValue else {
            return answer(sink, id, .failure(.invalidRequest(reason: "method must be a string")))
        }
        var params = JSONObject()
        switch message["params"] {
        case nil: break
        case .object(let p)?: params = p
        case .array?:
            guard id != nil else { return settle(sink, nil) }  // a notification cannot be answered
            return answer(sink, id, .failure(.invalidParams(field: "params", expected: "an object (params by name)",
                                                             got: "array")))
        default:
            return answer(sink, id, .failure(.invalidRequest(reason: "params must be an object or an array")))
        }
        if let id {
            handleRequest(id: id, method: method, params: params, sink: sink)
        } else {
            handleNotification(method: method, params: params, source)
            settle(sink, nil)
        }
    }

    private func handleRequest(id: RequestID, method: String, params: JSONObject, sink: ResponseSink) {
        let (initialized, shuttingDown) = session.withLock { ($0.initialized, $0.shutdownRequested) }
        if shuttingDown { return answer(sink, id, .failure(.shuttingDown(method: method))) }
        if options.strict, !initialized, method != BuiltinMethods.initialize {
            return answer(sink, id, .failure(.serverNotInitialized(method: method)))
        }
        guard !method.hasPrefix("$/"), let entry = registry.entry(method) else {
            return answer(sink, id, .failure(.methodNotFound(method)))
        }
        let checked: JSONObject
        switch ParamsChecker.check(params, against: entry.spec) {
        case .success(let p): checked = p
        case .failure(let e): return answer(sink, id, .failure(e))
        }
        guard let handler = entry.handler else {
            return answer(sink, id, serveBuiltin(method, checked))
        }
        let after = AfterReply()
        switch entry.spec.execution {
        case .inline:
            answer(sink, id, run(handler, checked, RequestContext(id: id, method: method, token: nil, afterReply: after)),
                   after: after)
        case .concurrent:
            let request = InFlightRequest(id: id, method: method, sink: sink)
            let duplicate = session.withLock { s -> Bool in
                if s.inFlight[id] != nil { return true }
                s.inFlight[id] = request
                return false
            }
            if duplicate {
                let echo = ClientEcho.text(id.text)
                return answer(sink, id, .failure(.invalidRequest(reason: "id \(echo) is already used by a request in flight")))
            }
            handlers.submit { [self] in
                if request.token.isCancelled { return }  // cancelled while queued: already answered
                let result = run(handler, checked, RequestContext(id: id, method: method, token: request.token, afterReply: after))
                finish(request, result, after: after)
            }
        }
    }

    private func handleNotification(method: String, params: JSONObject, _ source: MessageSource) {
        switch method {
        case BuiltinMethods.exit:
            return handleExit()
        case BuiltinMethods.cancelRequest:
            if let raw = params["id"], let id = source.requestID(raw, at: MessageSource.cancelledIDPath) {
                cancel(id)
            }
            return
        default:
            break
        }
        if method.hasPrefix("$/") { return }  // optional protocol notifications: ignored, as in LSP
        let (initialized, shuttingDown) = session.withLock { ($0.initialized, $0.shutdownRequested) }
        // After shutdown only exit matters; in strict mode notifications before initialize are dropped.
        if shuttingDown || (options.strict && !initialized) { return }
        if let handler = registry.notificationHandler(method) {
            handler(params)
        } else if method != BuiltinMethods.initialized {
            StderrLog.write("ignored unknown notification \(ClientEcho.text(method))")
        }
    }

    // MARK: - Built-in methods

    private func serveBuiltin(_ method: String, _ params: JSONObject) -> Result<JSONValue, RPCError> {
        switch method {
        case BuiltinMethods.initialize:
            return initialize(params)
        case BuiltinMethods.shutdown:
            session.withLock { $0.shutdownRequested = true }
            hooks.withLock { $0.shutdown }?()
            return .success(.null)
        case BuiltinMethods.discover:
            return .success(Self.discoveryDocument(registry: registry, options: options))
        default:
            return .failure(.methodNotFound(method))
        }
    }

    private func initialize(_ params: JSONObject) -> Result<JSONValue, RPCError> {
        if session.withLock({ $0.initialized }) {
            return .failure(.invalidRequest(reason: "initialize was already received"))
        }
        var extras = JSONObject()
        if let hook = hooks.withLock({ $0.initialize }) {
            do {
                extras = try hook(params)
            } catch let e as RPCError {
                return .failure(e)
            } catch {
                return .failure(.internalError(reason: String(describing: error)))
            }
        }
        let framing = framingInUse == .lsp ? "lsp" : "ndjson"
        var result: JSONObject = [
            "serverInfo": ["name": .string(options.serverName), "version": .string(options.serverVersion)],
            "protocol_version": .string(options.protocolVersion),
            "capabilities": [
                "methods": .from(registry.methodNames),
                "notifications": .from(registry.notificationNames),
                "framing": .string(framing),
            ],
        ]
        for (key, value) in extras {
            if case .object(var mine)? = result[key], case .object(let theirs) = value {
                for (k, v) in theirs { mine[k] = v }
                result[key] = .object(mine)
            } else {
                result[key] = value
            }
        }
        session.withLock { $0.initialized = true }
        if let pid = params["processId"]?.intValue, let pid32 = Int32(exactly: pid) {
            watchClientProcess(pid32)
        }
        return .success(.object(result))
    }

    private func handleExit() {
        let code: Int32 = session.withLock { $0.shutdownRequested ? 0 : 1 }
        exitReceived.store(true, ordering: .relaxed)
        writer.flush(timeout: 5)
        ending.settle(.exit(code: code))
    }

    // MARK: - Answers and the in-flight table

    private func run(_ handler: MethodHandler, _ params: JSONObject, _ context: RequestContext)
        -> Result<JSONValue, RPCError>
    {
        do {
            return .success(try handler(params, context))
        } catch {
            return .failure(registry.rpcError(for: error))
        }
    }

    /// A concurrent handler finished: answer, unless `$/cancelRequest` answered first.
    private func finish(_ request: InFlightRequest, _ result: Result<JSONValue, RPCError>, after: AfterReply) {
        let owned = session.withLock { s -> Bool in
            guard s.inFlight[request.id] === request else { return false }
            s.inFlight[request.id] = nil
            s.recent.insert(request.id)
            return true
        }
        // Cancelled meanwhile: its answer (-32800) is out already, and what the handler did still stands.
        guard owned else { return after.run() }
        answer(request.sink, request.id, result, after: after)
        checkInputClosed()
    }

    private func cancel(_ id: RequestID) {
        let request = session.withLock { s -> InFlightRequest? in
            guard let r = s.inFlight.removeValue(forKey: id) else {
                // Late (already answered) cancels are normal; unknown ones are worth a line in the log.
                if !s.recent.contains(id) { StderrLog.write("$/cancelRequest for unknown id \(ClientEcho.text(id.text))") }
                return nil
            }
            s.recent.insert(id)
            return r
        }
        guard let request else { return }
        request.token.cancel()
        answer(request.sink, id, .failure(.requestCancelled(id: id)))
        checkInputClosed()
    }

    private func answer(_ sink: ResponseSink, _ id: RequestID?, _ result: Result<JSONValue, RPCError>,
                        after: AfterReply? = nil) {
        let bytes: [UInt8]
        switch result {
        case .success(let value):
            // A request always has an id here; only errors can answer a message whose id is unknown.
            bytes = MessageEncoder.result(id: id!, value)
        case .failure(let error):
            bytes = MessageEncoder.error(id: id, error)
        }
        settle(sink, bytes, after: after)
    }

    /// Queues the answer (a batch's, once all of it is settled), then runs what waited for it.
    private func settle(_ sink: ResponseSink, _ bytes: [UInt8]?, after: AfterReply? = nil) {
        switch sink {
        case .direct:
            if let bytes { writer.enqueue(bytes, droppable: false) }
            after?.run()
        case .batch(let collector, let index):
            collector.settle(index, bytes, after: after)
        }
    }

    // MARK: - End of input

    private func inputDidClose() {
        session.withLock { $0.inputClosed = true }
        checkInputClosed()
    }

    private func checkInputClosed() {
        let fire = session.withLock { s -> Bool in
            guard s.inputClosed, s.inFlight.isEmpty, !s.inputClosedHookFired else { return false }
            s.inputClosedHookFired = true
            return true
        }
        if fire { ending.settle(.inputClosed) }
    }
}
