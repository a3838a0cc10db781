import JSON
import JSONRPC

/// Test-only methods, registered with `--debug-methods` and never published: they let the end-to-end
/// tests prove that the protocol stream survives what careless code might do.
enum DebugMethods {
    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("debug/print", "Calls print() with the given text (stdout must stay clean)",
                           params: [.optional("text", Schema.string(), "What to print")], result: Schema.any)) { p, _ in
            print(p.string("text") ?? "stray output from debug/print")
            return .null
        }
    }
}
