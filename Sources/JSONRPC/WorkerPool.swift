import Base
import Foundation

/// A fixed number of threads taking work from one FIFO: where `.concurrent` handlers run. Bounded on purpose:
/// a client that pipelines thousands of slow requests gets them served `size` at a time, in order, instead
/// of Dispatch growing a thread per blocked handler. Threads start on demand, up to `size`, and live as long
/// as the process (a server has one pool).
final class WorkerPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var threads = 0
        var idle = 0
    }
    private let state = ConditionLock(State())
    let size: Int
    private let name: String

    init(size: Int, name: String) {
        self.size = max(1, size)
        self.name = name
    }

    /// The default size: enough that a few slow handlers (a large `validate`, a `compare` of many runs) do
    /// not hold up quick ones, small enough that a flood of requests cannot exhaust threads.
    static var defaultSize: Int { max(4, 2 * ProcessInfo.processInfo.activeProcessorCount) }

    func submit(_ work: @escaping @Sendable () -> Void) {
        let startThread = state.withLockAndBroadcast { s -> Bool in
            s.queue.append(work)
            // More work waiting than sleeping threads to take it: another thread, if the bound allows.
            guard s.queue.count - s.head > s.idle, s.threads < size else { return false }
            s.threads += 1
            return true
        }
        if startThread { spawnWorker() }
    }

    private func spawnWorker() {
        let thread = Thread { [self] in
            while true {
                let work = state.waitAnnounced(until: { $0.head < $0.queue.count },
                                               announce: { s, sleeping in s.idle += sleeping ? 1 : -1 }) { s in
                    let w = s.queue[s.head]
                    s.head += 1
                    if s.head > 1024, s.head * 2 > s.queue.count { s.queue.removeFirst(s.head); s.head = 0 }
                    return w
                }
                work()
            }
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
