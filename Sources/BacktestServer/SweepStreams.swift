import BacktestCore
import Base
import Foundation
import JSON
import JSONRPC

/// Streams the sweeps this client started: `run/status` of each of their runs and `sweep/progress` on each
/// change. Log lines of sweep runs are not streamed (hundreds of runs at once would drown a client);
/// `subscribe {run_id}` gets them for one run, `logs` fetches them afterwards.
///
/// Counts are kept here, updated from each status event (one event, one count changed), so progress costs
/// nothing per run however large the sweep; they start from the workspace's truth when the sweep starts.
final class SweepStreams: Sendable {
    private struct Tally {
        var rankBy: RankKey?
        var statuses: [String: RunStatus] = [:]
        var best: (runID: String, value: Double)?
    }
    private struct State {
        var sweeps: [String: Tally] = [:]
        var following = false
        var token: FollowToken?
    }
    private let state = ConditionLock(State())
    private let notifier: any NotificationSending

    init(notifier: any NotificationSending) { self.notifier = notifier }

    /// Follows every run of the workspace, before a sweep is made: its runs are then each seen from their
    /// beginning, however fast they end.
    func prepare(_ ws: Workspace) {
        let first = state.withLock { s -> Bool in
            defer { s.following = true }
            return !s.following
        }
        guard first else { return }
        let token = ws.follow(runIDs: nil, from: .now) { [weak self] event in self?.handle(event) }
        state.withLock { $0.token = token }
    }

    /// Starts streaming `sweep`, made just now (after `prepare`).
    func started(_ sweep: SweepRecord, in ws: Workspace) {
        var tally = Tally(rankBy: sweep.rankBy.flatMap(RankKey.init))
        for id in sweep.runIDs { tally.statuses[id] = .queued }
        state.withLock { $0.sweeps[sweep.sweepID] = tally }
        // Events of the runs made before the line above found no tally: read those runs once (they are made
        // in order, so the first that does not exist yet ends the list). Later changes come as events.
        var announced = false
        for id in sweep.runIDs {
            guard let r = try? ws.record(runID: id), FileSystem.exists(r.runDir) else { break }
            announced = update(r, previous: nil, announce: true) || announced
        }
        if !announced { progress(sweep.sweepID) }
    }

    /// Re-reads every run of a sweep: after `cancel {sweep_id}`, the runs never made change status with no
    /// event to say so.
    func refresh(_ sweepID: String, in ws: Workspace) {
        guard state.withLock({ $0.sweeps[sweepID] != nil }), let runs = try? ws.sweepRuns(sweepID) else { return }
        for r in runs { update(r, previous: nil, announce: true) }
    }

    /// The sweeps this client started.
    var sweepIDs: [String] { state.withLock { Array($0.sweeps.keys) } }

    /// Blocks until every run of every sweep this client started has ended and its final status went out
    /// (the end of input: a sweep piped into the server runs to its end, as a run does). Counts come from
    /// events; now and then the records are read again, for a run whose end no event reported.
    func waitForSweeps(_ ws: Workspace?) {
        guard let ws else { return }
        while true {
            let done = state.wait(until: { Self.allEnded($0) }, deadline: Date().addingTimeInterval(1)) { _ in true }
            if done == true { return }
            for id in sweepIDs { refresh(id, in: ws) }
        }
    }

    private static func allEnded(_ s: State) -> Bool {
        s.sweeps.values.allSatisfy { $0.statuses.values.allSatisfy(\.isTerminal) }
    }

    private func handle(_ event: RunEvent) {
        guard case .status(let record, let previous) = event else { return }
        update(record, previous: previous, announce: true)
    }

    /// Counts a run's status; true when it changed (and was announced).
    @discardableResult
    private func update(_ record: RunRecord, previous: RunStatus?, announce: Bool) -> Bool {
        guard let sweepID = record.sweepID ?? SweepRecord.sweepID(ofRun: record.runID) else { return false }
        let changed = state.withLockAndBroadcast { s -> Bool in
            guard var t = s.sweeps[sweepID] else { return false }
            // Statuses only move forward: a record read a moment ago (`refresh`) must not undo a newer event.
            if let seen = t.statuses[record.runID], record.status.stage <= seen.stage { return false }
            t.statuses[record.runID] = record.status
            if record.status == .completed, let key = t.rankBy, let v = key.value(of: record), key.prefers(v, over: t.best?.value) {
                t.best = (record.runID, v)
            }
            s.sweeps[sweepID] = t
            return true
        }
        guard changed, announce else { return changed }
        _ = notifier.notify(Notifications.runStatus, params: RunStreams.statusParams(record, previous: previous), droppable: false)
        progress(sweepID)
        return true
    }

    private func progress(_ sweepID: String) {
        guard let params = state.withLock({ s -> JSONValue? in s.sweeps[sweepID].map { Self.params(sweepID, $0) } }) else { return }
        _ = notifier.notify(Notifications.sweepProgress, params: params, droppable: false)
    }

    private static func params(_ sweepID: String, _ t: Tally) -> JSONValue {
        let best = t.best.flatMap { b in t.rankBy.map { (b.runID, $0.field, b.value) } }
        return .object(SweepSummary(sweepID: sweepID, statuses: t.statuses.values, best: best).countsJSON(bestWhenNone: nil))
    }
}
