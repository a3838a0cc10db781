/// The files code capture takes for a script (`CodeCapture.select`): each source path with the path it is
/// stored under in `code/`, how they were chosen, and what was said about it.
public struct CodeSelection: Sendable {
    /// False when the script itself is not there (nothing is taken).
    public var found = true
    public var mode = CodeCaptureMode.single
    public var files: [(source: String, stored: String)] = []
    /// The script's own path in `code/`.
    public var entry: String?
    public var warnings: [String] = []
    public var log: [String] = []
}
