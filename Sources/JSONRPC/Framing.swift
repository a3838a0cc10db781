/// How messages are delimited on the byte stream.
public enum Framing: String, Sendable, CaseIterable {
    /// Decide from the first non-whitespace byte of the session: `{` or `[` → `.ndjson`, else `.lsp`.
    case auto
    /// LSP base protocol: `Content-Length: N\r\n\r\n` then N bytes of UTF-8.
    case lsp
    /// One JSON text per line (JSON escapes every newline inside strings, so a line is a message).
    case ndjson
}
