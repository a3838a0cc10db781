import Base

/// The lines `LogWriter` could not write (a full disk, an I/O error). Capture goes on after a failed write,
/// so a run's log can have gaps; this says how many lines fell into them and why, for the run's record
/// (`log_lines_lost` and a warning) and for `logs`, which never calls such a log complete.
public struct LogLoss: Sendable, Equatable {
    /// Lines read from the script that are not in execution.log.
    public private(set) var lines = 0
    /// Separate stretches of lost lines (one per disk-full episode, roughly).
    public private(set) var gaps = 0
    /// The seq the first kept line after the first gap has (the log's line count when that gap began).
    public private(set) var firstGapAtSeq: Int?
    /// Why writes failed, each reason once, as strerror says it in lower case ("no space left on device").
    public private(set) var reasons: [String] = []
    /// Whether the last write lost lines: the next loss continues the same gap.
    private var inGap = false

    public init() {}

    public var isEmpty: Bool { lines == 0 }

    /// `count` lines that should have had seq `atSeq` on were not written, because of `error` (an errno).
    mutating func lost(_ count: Int, atSeq: Int, error: Int32) {
        guard count > 0 else { return }
        lines += count
        if !inGap {
            gaps += 1
            if firstGapAtSeq == nil { firstGapAtSeq = atSeq }
        }
        inGap = true
        let reason = Self.reason(error)
        if !reasons.contains(reason) { reasons.append(reason) }
    }

    /// A batch was written whole: a later loss starts a new gap.
    mutating func wrote() { inGap = false }

    /// The record's warning, or nil when nothing was lost.
    public var warning: String? {
        guard lines > 0 else { return nil }
        let where_ = firstGapAtSeq.map { ", the first before line \($0)" } ?? ""
        return "\(lines) log line\(lines == 1 ? "" : "s") could not be written to execution.log (\(reasons.joined(separator: "; ")))"
            + ": the log has \(gaps) gap\(gaps == 1 ? "" : "s")\(where_)"
    }

    /// strerror's text with a lower-case first letter, as it reads inside a sentence.
    static func reason(_ error: Int32) -> String {
        let text = errnoText(error)
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
