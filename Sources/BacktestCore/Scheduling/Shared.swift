import Synchronization

/// A Mutex-guarded value that can be shared by reference (captured by closures), which a `Mutex` itself,
/// being non-copyable, cannot.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R { try mutex.withLock { try body(&$0) } }
}
