import Base
import Foundation
import Glibc
import Synchronization

/// The single writer of the protocol stream. Producers (the reader thread, handler threads, notifiers)
/// queue encoded message bodies; one thread frames them and writes them, many frames per `write(2)` when
/// several are waiting. Every frame is written whole and in queue order, so frames never interleave.
///
/// Back-pressure policy: responses and non-droppable notifications are always queued (memory grows if the
/// client stops reading — they must never be lost); droppable ones are refused once the droppable bytes
/// waiting exceed the budget. Order between all messages stays FIFO either way.
final class OutputWriter: Sendable {
    private struct Outgoing {
        var body: [UInt8]
        var droppable: Bool
    }

    private struct State {
        var queue: [Outgoing] = []
        var droppableBytes = 0
        var enqueued = 0
        /// Written, or discarded because the client is gone.
        var done = 0
        var closed = false
        /// `done` when a droppable message last waited for room in vain: until the writer gets further,
        /// the client is stalled and droppable messages are refused without waiting.
        var stalledAt: Int?
        /// The writer sleeps on the condition: only then does an enqueue need to wake it.
        var writerWaiting = false
        /// The reader is working through a chunk of input: hold wake-ups until it is done (or enough is
        /// waiting), so a pipelined burst becomes a few large writes instead of a futex wake per answer.
        var burst = false
    }

    /// While a burst is open, the writer is woken only once this many frames wait.
    static let burstWakeThreshold = 64

    private let sink: any ByteSink
    private let droppableBudget: Int
    private let state = ConditionLock(State())
    /// `Framing.ndjson` or `.lsp` as a raw byte, updated by the reader once the framing is known.
    private let framingCode = Atomic<UInt8>(0)
    private let onClosed: @Sendable () -> Void

    /// - Parameters:
    ///   - onClosed: called once, on the writer thread, when a write fails (EPIPE: the client is gone).
    init(sink: any ByteSink, droppableBudget: Int, framing: Framing, onClosed: @escaping @Sendable () -> Void) {
        self.sink = sink
        self.droppableBudget = droppableBudget
        self.onClosed = onClosed
        setFraming(framing)
    }

    /// The framing replies use; `.auto` (not yet known) writes NDJSON.
    func setFraming(_ framing: Framing) {
        framingCode.store(framing == .lsp ? 1 : 0, ordering: .relaxed)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Queues one message body. Returns false if it was not queued: the stream is closed, or `droppable`
    /// and the droppable budget is spent.
    @discardableResult
    func enqueue(_ body: [UInt8], droppable: Bool) -> Bool {
        let (queued, wake) = state.withLock { s -> (Bool, Bool) in
            if s.closed { return (false, false) }
            if droppable {
                if s.droppableBytes + body.count > droppableBudget { return (false, false) }
                s.droppableBytes += body.count
            }
            s.queue.append(Outgoing(body: body, droppable: droppable))
            s.enqueued += 1
            return (true, s.writerWaiting && (!s.burst || s.queue.count >= Self.burstWakeThreshold))
        }
        if wake { state.broadcast() }
        if !queued && droppable { return enqueueWhenRoom(body) }
        return queued
    }

    /// How long a droppable message may wait for room while the client is still reading.
    static let roomWait = 0.25

    /// The droppable budget is spent. A client that reads (the writer got further since the last vain wait)
    /// is only slower than the producer for a moment: wait for room rather than lose lines it would have
    /// read. A client that does not read: refuse at once, so that the producer is never held up by it.
    private func enqueueWhenRoom(_ body: [UInt8]) -> Bool {
        let stalled = state.withLock { s in s.stalledAt == s.done }
        if stalled { return false }
        let fits = state.wait(until: { $0.closed || $0.droppableBytes + body.count <= self.droppableBudget },
                              deadline: Date(timeIntervalSinceNow: Self.roomWait)) { s -> Bool in
            guard !s.closed else { return false }
            s.droppableBytes += body.count
            s.queue.append(Outgoing(body: body, droppable: true))
            s.enqueued += 1
            s.stalledAt = nil
            return true
        }
        guard let fits else {
            state.withLock { $0.stalledAt = $0.done }
            return false
        }
        if fits { state.broadcast() }
        return fits
    }

    /// The reader starts handling a chunk of input: answers queued until `endBurst` wake the writer only
    /// in groups. Answers from other threads meanwhile wait at most until the chunk is handled.
    func beginBurst() {
        state.withLock { $0.burst = true }
    }

    /// The chunk is handled: wake the writer for whatever is waiting.
    func endBurst() {
        let wake = state.withLock { s -> Bool in
            s.burst = false
            return s.writerWaiting && !s.queue.isEmpty
        }
        if wake { state.broadcast() }
    }

    /// Waits until everything queued so far has been written (or discarded because the client is gone).
    /// Returns false on timeout.
    @discardableResult
    func flush(timeout: Double) -> Bool {
        let target = state.withLock { $0.enqueued }
        // The writer may be asleep with frames held back by a burst (`exit` is handled mid-chunk).
        state.broadcast()
        return state.wait(until: { $0.done >= target || $0.closed },
                          deadline: Date(timeIntervalSinceNow: timeout)) { _ in true } ?? false
    }

    /// Starts the writer thread.
    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "jsonrpc-writer"
        thread.start()
    }

    private func run() {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        while true {
            let batch = state.withLock { s -> [Outgoing]? in
                guard !s.queue.isEmpty else { return nil }
                defer { s.queue = [] }
                return s.queue
            } ?? state.waitAnnounced(until: { !$0.queue.isEmpty || $0.closed },
                                     announce: { $0.writerWaiting = $1 }) { s -> [Outgoing] in
                defer { s.queue = [] }
                return s.queue
            }
            if batch.isEmpty { return }  // closed

            let lsp = framingCode.load(ordering: .relaxed) == 1
            buffer.removeAll(keepingCapacity: buffer.capacity <= 4 << 20)
            var droppableBytes = 0
            for item in batch {
                if lsp {
                    appendASCII(&buffer, "Content-Length: \(item.body.count)\r\n\r\n")
                    buffer.append(contentsOf: item.body)
                } else {
                    buffer.append(contentsOf: item.body)
                    buffer.append(0x0A)
                }
                if item.droppable { droppableBytes += item.body.count }
            }
            let ok = buffer.withUnsafeBytes { sink.write($0) }
            state.withLockAndBroadcast { s in
                s.droppableBytes -= droppableBytes
                s.done += batch.count
                if !ok {
                    s.closed = true
                    s.done = s.enqueued
                    s.queue = []
                    s.droppableBytes = 0
                }
            }
            if !ok {
                onClosed()
                return
            }
        }
    }

    private func appendASCII(_ buffer: inout [UInt8], _ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
    }
}
