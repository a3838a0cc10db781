/// What a handler knows about the call it serves.
public struct RequestContext: Sendable {
    /// nil for a notification.
    public let id: RequestID?
    public let method: String
    let token: CancellationToken?

    /// For tests of handlers and for callers outside the server: a context that is never cancelled.
    public init(id: RequestID?, method: String) {
        self.id = id
        self.method = method
        self.token = nil
    }

    init(id: RequestID?, method: String, token: CancellationToken?) {
        self.id = id
        self.method = method
        self.token = token
    }

    /// True once `$/cancelRequest` named this request. The client has already been answered -32800 by then;
    /// whatever the handler returns is discarded, so a long handler should check this and stop.
    public var isCancelled: Bool { token?.isCancelled ?? false }
}
