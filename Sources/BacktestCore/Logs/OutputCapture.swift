/// Turns the bytes read from a script's two pipes into log lines: one `LineSplitter` per stream feeding one
/// `LogWriter`, so that both streams share one sequence in arrival order. Each `consume` is one write batch,
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
        let k = stream == .stdout ? 0 : 1
        // Moved out, not copied: a copy would share `pending` and copy it on the first append.
        var splitter = LineSplitter()
        swap(&splitter, &splitters[k])
        writer.batch { b in
            if stream == .stdout {
                splitter.feed(chunk) { line in b.append(line, stream: .stdout, timeMillis: timeMillis) }
            } else {
                splitter.feed(chunk) { line in
                    b.append(line, stream: .stderr, timeMillis: timeMillis)
                    remember(line)
                }
            }
        }
        swap(&splitter, &splitters[k])
    }

    /// The stream reached EOF: its unterminated last line, if any, becomes a line.
    public func finish(_ stream: LogStream, timeMillis: Int64) {
        let k = stream == .stdout ? 0 : 1
        // Moved out, not copied: a copy would share `pending` and copy it on the first append.
        var splitter = LineSplitter()
        swap(&splitter, &splitters[k])
        writer.batch { b in
            splitter.finish { line in
                b.append(line, stream: stream, timeMillis: timeMillis)
                if stream == .stderr { remember(line) }
            }
        }
        swap(&splitter, &splitters[k])
    }

    private func remember(_ line: UnsafeBufferPointer<UInt8>) {
        // Blank lines say nothing about why a script failed.
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        // The line's bytes live only during the split callback: copy them, into a reused buffer.
        lastStderrLine.removeAll(keepingCapacity: true)
        lastStderrLine.append(contentsOf: line.prefix(500))
    }
}
