import Foundation
import JSON
import JSONRPC

/// Test-only methods, registered with `--debug-methods` and never published: they let the end-to-end
/// tests prove that the protocol stream survives what careless code might do.

/// `debug/print`: calls print() (stdout must stay clean).
struct DebugPrintMethod: RPCMethod {
    struct Params: MethodParams {
        static let text = Param<String>.optional("text", Schema.string(), "What to print")
        static let declared = [text.spec]
        let text: String?
        init(from p: ParamReader) throws(RPCError) { text = try p.optional(Self.text) }
    }
    static let name = "debug/print"
    static let summary = "Calls print() with the given text (stdout must stay clean)"
    static let resultSchema = Schema.any
    static let hidden = true

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        print(p.text ?? "stray output from debug/print")
        return .null
    }
}

/// `debug/throw`: a plain Swift error, which the client sees as an internal error.
struct DebugThrowMethod: RPCMethod {
    typealias Params = NoParams
    struct Boom: Error, CustomStringConvertible { var description: String { "debug/throw was called" } }
    static let name = "debug/throw"
    static let summary = "Throws a plain Swift error (an internal error for the client)"
    static let resultSchema = Schema.any
    static let hidden = true

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue { throw Boom() }
}

/// `debug/sleep`: a slow handler that stops early when cancelled.
struct DebugSleepMethod: RPCMethod {
    struct Params: MethodParams {
        static let ms = Param<Int>.optional("ms", Schema.integer(minimum: 0), "How long")
        static let declared = [ms.spec]
        let ms: Int
        init(from p: ParamReader) throws(RPCError) { ms = try p.optional(Self.ms) ?? 1000 }
    }
    static let name = "debug/sleep"
    static let summary = "Sleeps up to `ms` milliseconds, stopping early when cancelled"
    static let resultSchema = Schema.any
    static let hidden = true

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(Double(p.ms) / 1000)
        while Date() < deadline {
            if context.isCancelled { throw RPCError.requestCancelled(id: context.id ?? .int(0)) }
            usleep(1000)
        }
        return .null
    }
}
