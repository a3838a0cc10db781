import Glibc
import JSON

/// Where a message sits in the frame it came in, so that an id can be read exactly as the client wrote it.
/// The parsed value cannot always say: `"\u0041"` reads as `"A"`, and `"a\ud800"` (a lone surrogate) as
/// `"a\u{FFFD}"`. Without a backslash in the frame a string is spelled back the same, which is the common
/// case and costs one `memchr`; otherwise the id's bytes are located in the frame (`JSONRawSpan`).
struct MessageSource {
    /// The whole frame, as parsed.
    let body: [UInt8]
    /// The message's position in a batch; nil for a message alone in its frame.
    var index: Int?

    init(body: [UInt8]) {
        self.body = body
        index = nil
    }

    /// Element `n` of the batch this frame holds.
    func element(_ n: Int) -> MessageSource {
        var s = self
        s.index = n
        return s
    }

    /// Where a message's own id is, and where `$/cancelRequest` names one (constants: no array is built
    /// per message on the hot path).
    static let idPath = ["id"]
    static let cancelledIDPath = ["params", "id"]

    /// The request id `value`, found at `path` inside the message (`idPath` or `cancelledIDPath`), with its
    /// text as the client wrote it. nil when `value` cannot be an id.
    func requestID(_ value: JSONValue, at path: [String]) -> RequestID? {
        guard let id = RequestID(json: value) else { return nil }
        guard case .string = value, hasBackslash else { return id }
        let steps = (index.map { [JSONRawSpan.Step.index($0)] } ?? []) + path.map { .member($0) }
        // Invalid UTF-8 in the id cannot be echoed as it came: the decoded form (with U+FFFD) is the best.
        guard let range = JSONRawSpan.locate(steps, in: body),
              let text = String(validating: body[range], as: UTF8.self) else { return id }
        return RequestID(json: value, text: text)
    }

    private var hasBackslash: Bool {
        body.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return false }
            return memchr(base, 0x5C, b.count) != nil
        }
    }
}
