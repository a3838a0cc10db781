import BacktestCore
import Base
import Foundation
import JSON
import JSONRPC
import Synchronization

/// Turns the core's run events into `run/status`, `run/log` and `run/progress` notifications for this
/// client: for the runs it started and the ones it subscribed to.
///
/// Log lines are the only thing that may be dropped: when the client reads slower than a script writes,
/// the connection's bounded buffer refuses them, we count what was refused per run, and the next `run/log`
/// of that run says how many (`dropped`) so the client can fetch the gap with `logs {after_seq}`. Status
/// notifications are never dropped, and a run's remaining drop count is announced before its final status.
final class RunStreams: Sendable {
    private struct State {
        var owned: Set<String> = []
        var subscribed: Set<String> = []
        var all = false
        var dropped: [String: Int] = [:]
        var ended: Set<String> = []
        var runsToken: FollowToken?
        var allToken: FollowToken?
    }
    private let state = ConditionLock(State())
    /// Where notifications go; the JSON-RPC server in production.
    private let notifier: any NotificationSending

    init(notifier: any NotificationSending) { self.notifier = notifier }

    /// Follows the runs this client cares about once the workspace is open.
    func attach(_ ws: Workspace) {
        let token = ws.follow(runIDs: [], handler: { [weak self] event in self?.handle(event, fromAll: false) })
        state.withLock { $0.runsToken = token }
    }

    func started(_ runID: String, in ws: Workspace) {
        let token = state.withLock { s -> FollowToken? in
            s.owned.insert(runID)
            return s.runsToken
        }
        if let token { ws.addRun(runID, to: token) }
    }

    func subscribe(_ runID: String, in ws: Workspace) {
        let token = state.withLock { s -> FollowToken? in
            s.subscribed.insert(runID)
            return s.runsToken
        }
        // A subscriber wants what happens from now on; `logs` serves the history.
        if let token { ws.addRun(runID, to: token, from: .now) }
    }

    func unsubscribe(_ runID: String) { state.withLock { _ = $0.subscribed.remove(runID) } }

    func subscribeAll(in ws: Workspace) {
        let needed = state.withLock { s -> Bool in
            defer { s.all = true }
            return s.allToken == nil
        }
        guard needed else { return }
        let token = ws.follow(runIDs: nil, handler: { [weak self] event in self?.handle(event, fromAll: true) })
        state.withLock { $0.allToken = token }
    }

    func unsubscribeAll(in ws: Workspace) {
        let token = state.withLock { s -> FollowToken? in
            s.all = false
            defer { s.allToken = nil }
            return s.allToken
        }
        if let token { ws.unfollow(token) }
    }

    var subscriptions: (runs: [String], all: Bool) {
        state.withLock { (Array($0.subscribed.union($0.owned)).sorted(), $0.all) }
    }

    var ownedRuns: Set<String> { state.withLock { $0.owned } }

    // MARK: events

    private func wants(_ runID: String, fromAll: Bool) -> Bool {
        state.withLock { s in
            // While subscribed to all, the all-follower delivers everything; the per-run one would duplicate.
            if s.all { return fromAll }
            return !fromAll && (s.owned.contains(runID) || s.subscribed.contains(runID))
        }
    }

    private func handle(_ event: RunEvent, fromAll: Bool) {
        switch event {
        case .lines(let runID, let lines):
            guard wants(runID, fromAll: fromAll), !lines.isEmpty else { return }
            sendLines(runID, lines)
        case .progress(let runID, let progress):
            guard wants(runID, fromAll: fromAll) else { return }
            _ = notifier.notify(Notifications.runProgress, params: .object(progress.json(runID: runID)), droppable: true)
        case .status(let record, let previous):
            let runID = record.runID
            if wants(runID, fromAll: fromAll) {
                announceDropped(runID)
                _ = notifier.notify(Notifications.runStatus, params: Self.statusParams(record, previous: previous), droppable: false)
                if record.status.isTerminal { StepTrace.mark("server: final status sent") }
            }
            if record.status.isTerminal { markEnded(runID) }
        }
    }

    private func sendLines(_ runID: String, _ lines: [LogLine]) {
        let pending = state.withLock { $0.dropped[runID] ?? 0 }
        // Written straight to bytes: a million lines as JSONValue trees cost seconds, as bytes a fraction.
        var w = JSONWriter(reserving: lines.count * 96 + 64)
        w.append("{\"run_id\":")
        w.writeString(runID)
        w.append(",\"lines\":[")
        for (i, line) in lines.enumerated() {
            if i > 0 { w.bytes.append(UInt8(ascii: ",")) }
            line.appendJSON(to: &w)
        }
        w.append("]")
        if pending > 0 { w.append(",\"dropped\":"); w.writeInt(Int64(pending)) }
        w.append("}")
        let sent = notifier.notify(Notifications.runLog, encodedParams: w.bytes, droppable: true)
        state.withLock { s in
            if sent { s.dropped[runID] = nil } else { s.dropped[runID, default: 0] += lines.count }
        }
    }

    /// Before a status change, tell the client about lines it never got, even if no more lines come.
    private func announceDropped(_ runID: String) {
        let pending = state.withLock { s -> Int in
            defer { s.dropped[runID] = nil }
            return s.dropped[runID] ?? 0
        }
        guard pending > 0 else { return }
        _ = notifier.notify(Notifications.runLog, params: ["run_id": .string(runID), "lines": [], "dropped": .int(Int64(pending))], droppable: false)
    }

    static func statusParams(_ r: RunRecord, previous: RunStatus?) -> JSONValue {
        var p: JSONObject = [
            "run_id": .string(r.runID), "status": .string(r.status.rawValue),
            "previous": .from(previous?.rawValue), "at": .string(ISOTime.format(millis: ISOTime.nowMillis())),
        ]
        if let code = r.exitCode { p["exit_code"] = .int(Int64(code)) }
        if let f = r.failure { p["failure"] = .string(f.rawValue) }
        if let m = r.errorMessage { p["error_message"] = .string(m) }
        return .object(p)
    }

    // MARK: ending

    private func markEnded(_ runID: String) {
        state.withLockAndBroadcast { _ = $0.ended.insert(runID) }
    }

    /// Blocks until every run this client started has ended and its final status went out. The record is
    /// the fallback: a run that ended while nobody followed it still counts once its record says so.
    func waitForOwnedRuns(_ ws: Workspace?) {
        while true {
            let (owned, ended) = state.withLock { ($0.owned, $0.ended) }
            var open = owned.subtracting(ended)
            if let ws {
                open = open.filter { id in
                    guard let r = try? ws.record(runID: id) else { return false }
                    return !r.status.isTerminal
                }
            } else { open = [] }
            if open.isEmpty, owned.isSubset(of: ended) || ws == nil { return }
            if open.isEmpty {
                // Ended on disk but its final event not delivered yet: give the follower a moment.
                _ = state.wait(until: { owned.isSubset(of: $0.ended) }, deadline: Date().addingTimeInterval(0.5)) { _ in () }
                let late = state.withLock { owned.subtracting($0.ended) }
                if late.isEmpty { return }
                if let ws { for id in late { deliverFinal(id, ws) } }
                return
            }
            // Woken by each run's end; the deadline re-reads records of runs nobody follows.
            _ = state.wait(until: { $0.ended.count > ended.count }, deadline: Date().addingTimeInterval(0.2)) { _ in () }
        }
    }

    /// Sends the final status of a run whose end the follower did not report (it ended before we followed).
    private func deliverFinal(_ runID: String, _ ws: Workspace) {
        guard let r = try? ws.record(runID: runID) else { return }
        announceDropped(runID)
        _ = notifier.notify(Notifications.runStatus, params: Self.statusParams(r, previous: nil), droppable: false)
        markEnded(runID)
    }
}
