extension LogReader {
    /// A page of the log as `logs` answers it: the last `tail` lines, or up to `limit` lines after `afterSeq`.
    /// `nextSeq` is the seq the next line will have; `complete` says no line follows and none is missing: the
    /// run had `ended` before the page was read and lost no line (`linesLost`).
    func page(tail: Int?, afterSeq: Int?, limit: Int, stream: LogStream?, ended: Bool,
              linesLost: Int) -> (lines: [LogLine], totalLines: Int, nextSeq: Int, complete: Bool) {
        // Counted before reading: the reader saw at least this many lines, so a page that stopped short of
        // `limit` looked at all of them (with `stream`, at the other stream's lines too).
        let countBefore = count()
        let lines: [LogLine]
        var nextSeq: Int
        if let tail {
            lines = self.tail(min(max(0, tail), limit), stream: stream)
            nextSeq = countBefore
        } else {
            let from = max(0, (afterSeq ?? -1) + 1)
            lines = self.lines(from: from, limit: limit, stream: stream)
            nextSeq = lines.count < limit ? max(from, countBefore) : from
        }
        if let last = lines.last { nextSeq = max(nextSeq, last.seq + 1) }
        if tail == nil, lines.count == limit, let last = lines.last { nextSeq = last.seq + 1 }
        let total = count()
        // Lines the supervisor could not write (a full disk) are missing for good: such a log never is complete.
        return (lines, total, nextSeq, ended && nextSeq >= total && linesLost == 0)
    }
}
