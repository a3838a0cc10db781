/// What a server talks through: a source of the client's bytes and a sink for its own, nothing more. The
/// server frames, parses and dispatches; the connection only moves bytes (the shape of rust-analyzer's
/// lsp-server: a connection is a pair of channels, with `stdio()` and `memory()` constructors).
public struct Connection: Sendable {
    public let input: any ByteSource
    public let output: any ByteSink

    public init(input: any ByteSource, output: any ByteSink) {
        self.input = input
        self.output = output
    }

    /// The binary's connection: the client's bytes on `inputFD` (stdin), the server's on `outputFD` (the
    /// descriptor stdout was moved to, so that nothing else can write protocol bytes).
    public static func stdio(inputFD: Int32 = 0, outputFD: Int32 = 1) -> Connection {
        Connection(input: FileDescriptorSource(fd: inputFD), output: FileDescriptorSink(fd: outputFD))
    }

    /// A connection inside the process, and the client's end of it: a whole session runs in memory.
    public static func memory() -> (server: Connection, client: MemoryClient) {
        let toServer = MemoryPipe(), toClient = MemoryPipe()
        return (Connection(input: toServer, output: toClient), MemoryClient(toServer: toServer, fromServer: toClient))
    }
}
