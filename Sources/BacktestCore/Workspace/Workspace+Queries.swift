import Glibc

/// Looking at runs: one record, its log lines, lists and counts. Every answer reflects the run.json files
/// (the truth) as of the call, with runs whose supervisor died already ended as interrupted.
extension Workspace {
    /// The record of a run, fresh from its run.json (and ended as interrupted if its supervisor is gone).
    public func record(runID: String) throws(CoreError) -> RunRecord {
        check.check(try store.load(runID: runID))
    }

    /// A page of a run's log: the last `tail` lines, or up to `limit` (default 1000) lines after `afterSeq`.
    /// `nextSeq` is the seq the next line will have; `complete` says the run has ended, no line follows and none
    /// was lost (`log_lines_lost`).
    public func logs(runID: String, tail: Int? = nil, afterSeq: Int? = nil, limit: Int? = nil,
                     stream: LogStream? = nil) throws(CoreError) -> (lines: [LogLine], totalLines: Int, nextSeq: Int, complete: Bool) {
        // The record first: when it is terminal, the log was complete before it was written.
        let r = try record(runID: runID)
        let reader = LogReader(paths: layout.run(runID))
        let limit = max(0, limit ?? 1000)
        // Counted before reading: the reader saw at least this many lines, so a page that stopped short of
        // `limit` looked at all of them (with `stream`, at the other stream's lines too).
        let countBefore = reader.count()
        let lines: [LogLine]
        var nextSeq: Int
        if let tail {
            lines = reader.tail(min(max(0, tail), limit), stream: stream)
            nextSeq = countBefore
        } else {
            let from = max(0, (afterSeq ?? -1) + 1)
            lines = reader.lines(from: from, limit: limit, stream: stream)
            nextSeq = lines.count < limit ? max(from, countBefore) : from
        }
        if let last = lines.last { nextSeq = max(nextSeq, last.seq + 1) }
        if tail == nil, lines.count == limit, let last = lines.last { nextSeq = last.seq + 1 }
        let total = reader.count()
        // Lines the supervisor could not write (a full disk) are missing for good: such a log never is complete.
        return (lines, total, nextSeq, r.status.isTerminal && nextSeq >= total && r.logLinesLost == 0)
    }

    /// Runs of the workspace, whichever process started them, newest first unless `ascending`.
    public func list(status: [RunStatus]? = nil, script: String? = nil, tag: String? = nil, since: Int64? = nil,
                     until: Int64? = nil, limit: Int = 50, offset: Int = 0,
                     ascending: Bool = false) throws(CoreError) -> (total: Int, runs: [RunRecord]) {
        repair.refreshActive()
        let page = try index.query(RunQuery(statuses: status, script: script, tag: tag, sinceMillis: since, untilMillis: until,
                                             limit: max(0, limit), offset: max(0, offset), ascending: ascending))
        return check.answering(page, statuses: status)
    }

    /// Runs now running or validating, and runs waiting in the queue, in the whole workspace.
    public func counts() -> (active: Int, queued: Int) {
        let active = repair.refreshActive()
        let running = active.filter { $0.status.needsSupervisor }.count
        return (running, active.count - running)
    }
}
