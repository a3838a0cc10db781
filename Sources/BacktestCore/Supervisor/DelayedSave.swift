import Dispatch
import Synchronization

/// A save that is made only if what it announces lasts. The `validating` record is one: validating a short
/// run's files takes ~0.4 ms and saving the record as much again, on the path to the final status every
/// client waits for. The status is in the record's history either way (followers announce it from there);
/// a validation that takes longer than `delay` is saved as validating, for whoever looks meanwhile.
final class DelayedSave: Sendable {
    private enum State { case waiting, done }
    private let state = Mutex(State.waiting)

    init(after delay: Double, _ save: @escaping @Sendable () -> Void) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            state.withLock { s in
                guard s == .waiting else { return }
                save()
                s = .done
            }
        }
    }

    /// What it announced is over: a save not begun never happens, and one under way is waited for (so that
    /// it can never land after the record that follows it).
    func cancel() { state.withLock { $0 = .done } }
}
