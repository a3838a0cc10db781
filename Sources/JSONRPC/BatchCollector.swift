import Synchronization

/// Gathers the answers to the elements of one batch, which may finish in any order on any thread, and
/// hands the batch answer over once every element is settled. Answers keep the elements' order
/// (JSON-RPC allows any order; a stable one is easier to read and to test).
final class BatchCollector: Sendable {
    private struct Slots {
        var answers: [[UInt8]?]
        var remaining: Int
        /// What the elements' handlers left for after the batch answer (`AfterReply`).
        var after: [AfterReply] = []
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
    /// settled exactly once. `after` runs once the whole batch answer is handed over.
    func settle(_ index: Int, _ answer: [UInt8]?, after: AfterReply? = nil) {
        let done = slots.withLock { s -> (answers: [[UInt8]], after: [AfterReply])? in
            s.answers[index] = answer
            s.remaining -= 1
            if let after { s.after.append(after) }
            return s.remaining == 0 ? (s.answers.compactMap { $0 }, s.after) : nil
        }
        guard let done else { return }
        onComplete(done.answers)
        for a in done.after { a.run() }
    }
}
