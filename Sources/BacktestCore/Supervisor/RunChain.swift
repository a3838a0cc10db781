import Base
import Glibc

/// A supervisor whose run has ended takes the next queued run itself rather than exiting and having a new
/// supervisor started for it: a new process (exec, loader, Swift runtime, the index opened again) is most
/// of what a short run costs beyond its script. The run is claimed by the same scheduling pass, under the
/// same locks, as any other, so `max_parallel` and the queue's order are as they were.
///
/// It stops going on after `maxRuns` runs (what one process may accumulate stays bounded), when the
/// binary on disk was replaced (new runs get the new code), and when it was told to stop by a plain
/// SIGTERM or SIGINT (not a cancel, which carries its run's token and concerns a run that has ended).
struct RunChain {
    static let maxRuns = 1000
    private(set) var runs = 1

    /// The end-of-run scheduling pass: starts what the queue allows, and hands back the run this process
    /// should go on with, if any.
    mutating func next(layout: WorkspaceLayout, index: (any RunIndexing)?, wakeFD: Int32, mayGoOn: Bool) -> Scheduler.ClaimedRun? {
        let goOn = mayGoOn && runs < Self.maxRuns && !Self.toldToStop(wakeFD) && !Self.binaryReplaced()
        guard let next = Scheduler.passAfterRunEnded(layout: layout, index: index, keepingOne: goOn) else { return nil }
        runs += 1
        return next
    }

    /// Signals that came in since the last run's loop: cancels of runs that have ended are dropped; a plain
    /// SIGTERM or SIGINT means this process should go.
    private static func toldToStop(_ wakeFD: Int32) -> Bool {
        SignalWakeup.drain(wakeFD).contains { ($0.signal == SIGTERM || $0.signal == SIGINT) && $0.token == 0 }
    }

    /// /proc/self/exe names a file that is gone once an install replaced it.
    private static func binaryReplaced() -> Bool {
        FileSystem.linkTarget("/proc/self/exe")?.hasSuffix(" (deleted)") ?? false
    }
}

/// A value made on first use, and whether it was: the hooks of a run are made only once the script runs
/// (or when a run ends without one), and the end-of-run pass reuses their index when there is one.
final class MadeOnce<Value> {
    private let make: () -> Value
    private(set) var made: Value?

    init(_ make: @escaping () -> Value) { self.make = make }

    func get() -> Value {
        if let made { return made }
        let v = make()
        made = v
        return v
    }
}
