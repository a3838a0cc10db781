/// Turns the bytes read from a script's two pipes into log lines: one `LineSplitter` per stream feeding one
/// `LogWriter`, so that both streams share one sequence in arrival order. Each `consume` ends with a flush,
/// which makes a chunk's lines visible to followers as soon as it was read.
///
/// Used by one thread (the supervisor's capture loop).
public final class OutputCapture {
    public let writer: LogWriter
    private var splitters = [LineSplitter(), LineSplitter()]
    /// The last complete stderr line, kept for a failed run's error message.
    public private(set) var lastStderrLine: [UInt8] = []

    public init(writer: LogWriter) { self.writer = writer }

    /// Splits and writes one chunk read from `stream` at `timeMillis`.
    public func consume(_ chunk: UnsafeBufferPointer<UInt8>, stream: LogStream, timeMillis: Int64) {
        let w = writer
        var last: UnsafeBufferPointer<UInt8>?
        let k = stream == .stdout ? 0 : 1
        splitters[k].feed(chunk) { line in
            w.append(line, stream: stream, timeMillis: timeMillis)
            last = line
        }
        // Only the last line of the chunk can be the run's last stderr line; copy that one alone.
        if stream == .stderr, let last { remember(last) }
        w.flush()
    }

    /// The stream reached EOF: its unterminated last line, if any, becomes a line.
    public func finish(_ stream: LogStream, timeMillis: Int64) {
        let w = writer
        let k = stream == .stdout ? 0 : 1
        splitters[k].finish { line in
            w.append(line, stream: stream, timeMillis: timeMillis)
            if stream == .stderr { remember(line) }
        }
        w.flush()
    }

    private func remember(_ line: UnsafeBufferPointer<UInt8>) {
        // Blank lines say nothing about why a script failed.
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        lastStderrLine = Array(line.prefix(500))
    }
}
