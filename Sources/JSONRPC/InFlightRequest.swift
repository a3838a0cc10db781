/// A `.concurrent` request that has not been answered yet. Whoever removes it from the server's in-flight
/// table (the handler finishing, or `$/cancelRequest`) answers it, so each request gets exactly one answer.
final class InFlightRequest: Sendable {
    let id: RequestID
    let method: String
    let token = CancellationToken()
    let sink: ResponseSink

    init(id: RequestID, method: String, sink: ResponseSink) {
        self.id = id
        self.method = method
        self.sink = sink
    }
}
