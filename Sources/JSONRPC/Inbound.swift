import JSON

/// One thing read from the input, its body already parsed. Parsing happens while framing because in LSP
/// framing a body that is not JSON is how the frame parser learns that a Content-Length lied (and where to
/// look for the next frame: see `FrameParser.feed(_:judging:)`).
enum Inbound {
    /// A JSON text: one message or a batch.
    case message(JSONValue, MessageSource)
    /// Something to answer with `id: null`: not JSON, a broken frame, a frame over the size limit.
    case failure(RPCError)

    init(_ event: FrameParser.Event, maxMessageSize: Int) {
        switch event {
        case .message(let body):
            do {
                // Numbers keep their text so that ids (and later params) can be echoed as written.
                self = .message(try JSONParser.parse(body, keepingNumberText: true), MessageSource(body: body))
            } catch {
                self = .failure(.parseError(reason: error.reason, offset: error.offset))
            }
        case .tooLarge(let size):
            self = .failure(.messageTooLarge(size: size, limit: maxMessageSize))
        case .malformed(let reason):
            self = .failure(.parseError(reason: reason))
        }
    }

    /// Whether a frame's body parsed (what the frame parser's judge answers).
    var parsed: Bool {
        if case .message = self { return true }
        return false
    }
}
