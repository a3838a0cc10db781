import Foundation
import JSON
import Synchronization

/// The client's end of `Connection.memory()`: sends NDJSON (or any bytes) to the server and reads back
/// its messages, one JSON value per line. For tests of whole sessions without processes or pipes.
public final class MemoryClient: Sendable {
    private let toServer: MemoryPipe
    private let fromServer: MemoryPipe
    private struct Inbox {
        var pending: [UInt8] = []
        /// Messages read but not yet taken by `waitFor`.
        var messages: [JSONValue] = []
        var nextID: Int64 = 1
    }
    private let inbox = Mutex(Inbox())

    init(toServer: MemoryPipe, fromServer: MemoryPipe) {
        self.toServer = toServer
        self.fromServer = fromServer
    }

    /// Sends raw bytes as they are.
    public func sendRaw(_ bytes: [UInt8]) { toServer.write(bytes) }

    /// Sends one message as an NDJSON line.
    public func send(_ message: JSONValue) { sendRaw(JSONWriter.encode(message) + [0x0A]) }

    /// Sends a request with a fresh integer id; returns the id.
    @discardableResult
    public func sendRequest(_ method: String, _ params: JSONValue? = nil) -> JSONValue {
        let id = inbox.withLock { i -> Int64 in defer { i.nextID += 1 }; return i.nextID }
        var o: JSONObject = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method)]
        if let params { o["params"] = params }
        send(.object(o))
        return .int(id)
    }

    /// Sends a request and waits for its response (the whole object: `result` or `error`).
    public func request(_ method: String, _ params: JSONValue? = nil, timeout: Double = 10) -> JSONValue? {
        let id = sendRequest(method, params)
        return waitFor(timeout: timeout) { $0["id"] == id && $0["method"].isNull }
    }

    /// The client is done talking: the server sees the end of its input.
    public func closeInput() { toServer.closeWriting() }

    /// The client stops reading: the server's next write fails, as with EPIPE.
    public func stopReading() { fromServer.closeReading() }

    /// The first message (in arrival order, not yet taken) that `matches`, waiting up to `timeout` seconds;
    /// nil on timeout or when the server's output ended first.
    public func waitFor(timeout: Double = 10, _ matches: (JSONValue) -> Bool) -> JSONValue? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let hit = inbox.withLock({ i -> JSONValue? in
                guard let n = i.messages.firstIndex(where: matches) else { return nil }
                return i.messages.remove(at: n)
            }) { return hit }
            guard readMore(until: deadline) else { return nil }
        }
    }

    /// Every message read so far and not taken, in order (notifications, mostly).
    public var unread: [JSONValue] { inbox.withLock { $0.messages } }

    /// Reads what the server wrote next and splits it into messages; false on timeout or end of output.
    private func readMore(until deadline: Date) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let n = buffer.withUnsafeMutableBytes { fromServer.readAvailable(into: $0, deadline: deadline) }
        guard let n, n > 0 else { return false }
        inbox.withLock { i in
            i.pending += buffer[0..<n]
            while let newline = i.pending.firstIndex(of: 0x0A) {
                let line = Array(i.pending[..<newline])
                i.pending.removeFirst(newline + 1)
                if let v = try? JSONParser.parse(line) { i.messages.append(v) }
            }
        }
        return true
    }
}
