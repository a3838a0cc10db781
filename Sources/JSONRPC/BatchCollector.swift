import Synchronization

/// Gathers the answers to the elements of one batch, which may finish in any order on any thread, and
/// hands the batch answer over once every element is settled. Answers keep the elements' order
/// (JSON-RPC allows any order; a stable one is easier to read and to test).
final class BatchCollector: Sendable {
    private struct Slots {
        var answers: [[UInt8]?]
        var remaining: Int
    }

    private let slots: Mutex<Slots>
    private let onComplete: @Sendable ([[UInt8]]) -> Void

    /// - Parameter onComplete: called once with the answers (notifications give none); an empty list means
    ///   "write nothing" (a batch of notifications only).
    init(count: Int, onComplete: @escaping @Sendable ([[UInt8]]) -> Void) {
        slots = Mutex(Slots(answers: Array(repeating: nil, count: count), remaining: count))
        self.onComplete = onComplete
    }

    /// Settles element `index` with its encoded answer, or with nil when it needs none. Each element is
    /// settled exactly once.
    func settle(_ index: Int, _ answer: [UInt8]?) {
        let done = slots.withLock { s -> [[UInt8]]? in
            s.answers[index] = answer
            s.remaining -= 1
            return s.remaining == 0 ? s.answers.compactMap { $0 } : nil
        }
        if let done { onComplete(done) }
    }
}
