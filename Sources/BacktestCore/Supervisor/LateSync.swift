import Dispatch

/// The fsyncs a supervisor makes once what they make durable is already out (the final record, the
/// metadata's end), on a serial queue of their own: neither the client's final status nor the supervisor's
/// next run (`RunChain`) waits for them. On an ext4 with a journal each is a journal commit (0.5–1 ms),
/// two per run. The supervisor process waits for them all before it exits (`waitForAll`); a power cut
/// before then leaves the run as a crash a moment earlier would have.
enum LateSync {
    private static let queue = DispatchQueue(label: "backtest-rpc.late-sync", qos: .utility)

    static func run(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }

    static func waitForAll() { queue.sync {} }
}
