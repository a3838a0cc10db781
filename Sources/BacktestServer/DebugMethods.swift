import Dispatch
import Foundation
import JSON
import JSONRPC

/// Test-only methods, registered with `--debug-methods` and never published: they let the end-to-end
/// tests prove that the protocol stream survives what careless code might do.
enum DebugMethods {
    struct Boom: Error, CustomStringConvertible { var description: String { "debug/throw was called" } }

    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("debug/print", "Calls print() with the given text (stdout must stay clean)",
                           params: [.optional("text", Schema.string(), "What to print")], result: Schema.any,
                           hidden: true)) { p, _ in
            print(p.string("text") ?? "stray output from debug/print")
            return .null
        }
        r.register(.method("debug/throw", "Throws a plain Swift error (an internal error for the client)",
                           result: Schema.any, hidden: true)) { _, _ in
            throw Boom()
        }
        r.register(.method("debug/sleep", "Sleeps up to `ms` milliseconds, stopping early when cancelled",
                           params: [.optional("ms", Schema.integer(minimum: 0), "How long")], result: Schema.any,
                           hidden: true)) { p, ctx in
            let deadline = Date().addingTimeInterval(Double(p.int("ms") ?? 1000) / 1000)
            while Date() < deadline {
                if ctx.isCancelled { throw RPCError.requestCancelled(id: ctx.id ?? .int(0)) }
                usleep(1000)
            }
            return .null
        }
    }
}
