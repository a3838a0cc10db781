import Synchronization

/// Shared between a request in flight and `$/cancelRequest`: set once, read by the handler when it wants
/// to stop early.
final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)

    var isCancelled: Bool { flag.load(ordering: .acquiring) }

    func cancel() { flag.store(true, ordering: .releasing) }
}
