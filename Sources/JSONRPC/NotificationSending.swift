import JSON

/// Sends server→client notifications: what the application layer needs of the server, so that it can be
/// built before (or without) one. `JSONRPCServer` is the real one.
public protocol NotificationSending: Sendable {
    /// Queues a notification; a droppable one is refused (false) when the droppable budget is spent, and
    /// every one once the client is gone.
    @discardableResult
    func notify(_ method: String, params: JSONValue, droppable: Bool) -> Bool
    /// The same with params already encoded as one JSON object (high-volume log lines).
    @discardableResult
    func notify(_ method: String, encodedParams: [UInt8], droppable: Bool) -> Bool
}

/// Sends nothing: for building the method table only to describe it (`--openrpc`).
public struct DiscardedNotifications: NotificationSending {
    public init() {}
    public func notify(_ method: String, params: JSONValue, droppable: Bool) -> Bool { false }
    public func notify(_ method: String, encodedParams: [UInt8], droppable: Bool) -> Bool { false }
}
