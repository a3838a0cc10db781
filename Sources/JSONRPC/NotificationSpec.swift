import JSON

/// A notification the server sends to the client (`run/status`, ...): listed in capabilities and, as the
/// `x-notifications` extension, in the OpenRPC document.
public struct NotificationSpec: Sendable {
    public var name: String
    public var summary: String
    public var params: [ParamSpec]

    public init(name: String, summary: String, params: [ParamSpec] = []) {
        self.name = name
        self.summary = summary
        self.params = params
    }

    var json: JSONValue {
        ["name": .string(name), "summary": .string(summary), "params": .array(params.map(\.json))]
    }
}
