/// What a handler knows about the call it serves.
public struct RequestContext: Sendable {
    /// nil for a notification.
    public let id: RequestID?
    public let method: String
    let token: CancellationToken?
    let afterReplyWork: AfterReply?

    /// For tests of handlers and for callers outside the server: a context that is never cancelled.
    public init(id: RequestID?, method: String) {
        self.id = id
        self.method = method
        self.token = nil
        self.afterReplyWork = nil
    }

    init(id: RequestID?, method: String, token: CancellationToken?, afterReply: AfterReply?) {
        self.id = id
        self.method = method
        self.token = token
        self.afterReplyWork = afterReply
    }

    /// Does `body` once this request's answer is queued for the client (at once for a context made outside
    /// the server): for notifications about what the answer introduces, which must not overtake it.
    public func afterReply(_ body: @escaping @Sendable () -> Void) {
        if let afterReplyWork { afterReplyWork.add(body) } else { body() }
    }

    /// True once `$/cancelRequest` named this request. The client has already been answered -32800 by then;
    /// whatever the handler returns is discarded, so a long handler should check this and stop.
    public var isCancelled: Bool { token?.isCancelled ?? false }
}
