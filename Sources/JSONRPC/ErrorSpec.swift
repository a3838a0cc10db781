import JSON

/// An application error a method can answer with, as documented in the OpenRPC document.
public struct ErrorSpec: Sendable, Equatable {
    public var code: Int
    public var message: String
    /// A JSON Schema of the error's `data`, or an example of it.
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The OpenRPC Error Object.
    var json: JSONValue {
        var o: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { o.appendUnchecked("data", data) }
        return .object(o)
    }
}
