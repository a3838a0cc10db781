/// Serves a run's captured lines from `.log.idx` and `execution.log` without reading the whole log: a
/// range or the tail costs a pread of the index entries plus one of their text. Works while the run is
/// still writing (it sees the lines whose index entries are complete).
///
/// Stateless: every call opens the files, so one reader can be shared by any number of threads.
public struct LogReader: Sendable {
    public let paths: RunPaths
    /// How many index entries a filtered scan reads per pread.
    static let scanBlock = 4096

    public init(paths: RunPaths) { self.paths = paths }

    /// Lines captured so far (0 when the run has not started).
    public func count() -> Int {
        LogFiles(paths: paths)?.count() ?? 0
    }

    /// Up to `limit` lines from seq `from` on; with `stream`, only that stream's lines (still from `from`).
    public func lines(from seq: Int, limit: Int, stream: LogStream? = nil) -> [LogLine] {
        guard limit > 0, let files = LogFiles(paths: paths) else { return [] }
        let from = max(0, seq)
        let total = files.count()
        guard from < total else { return [] }
        guard let stream else {
            let n = min(limit, total - from)
            return files.lines(files.entries(from: from, count: n).enumerated().map { (from + $0.offset, $0.element) })
        }
        var picked: [(seq: Int, entry: LogIndexEntry)] = []
        var at = from
        while at < total, picked.count < limit {
            let block = files.entries(from: at, count: min(Self.scanBlock, total - at))
            if block.isEmpty { break }
            for (k, e) in block.enumerated() where e.stream == stream.indexCode {
                picked.append((at + k, e))
                if picked.count == limit { break }
            }
            at += block.count
        }
        return files.lines(picked)
    }

    /// The last `n` lines (of `stream` only, when given), oldest first.
    public func tail(_ n: Int, stream: LogStream? = nil) -> [LogLine] {
        guard n > 0, let files = LogFiles(paths: paths) else { return [] }
        let total = files.count()
        guard let stream else {
            let from = max(0, total - n)
            return files.lines(files.entries(from: from, count: total - from).enumerated().map { (from + $0.offset, $0.element) })
        }
        // Scan the index backwards block by block until enough lines of the stream are found.
        var picked: [(seq: Int, entry: LogIndexEntry)] = []
        var end = total
        while end > 0, picked.count < n {
            let start = max(0, end - Self.scanBlock)
            let block = files.entries(from: start, count: end - start)
            for k in stride(from: block.count - 1, through: 0, by: -1) where block[k].stream == stream.indexCode {
                picked.append((start + k, block[k]))
                if picked.count == n { break }
            }
            end = start
        }
        return files.lines(picked.reversed())
    }
}
