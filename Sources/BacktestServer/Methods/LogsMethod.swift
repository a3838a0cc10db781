import BacktestCore
import JSON
import JSONRPC

/// `logs`: lines of a run's output, the last `tail` or those after `after_seq`.
struct LogsMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let tail = Param<Int>.optional("tail", Schema.integer(minimum: 0), "The last N lines")
        static let afterSeq = Param<Int>.optional("after_seq", Schema.integer(minimum: -1), "Lines with seq greater than this")
        static let limit = Param<Int>.optional("limit", Schema.integer(minimum: 1, maximum: 100_000), "At most this many lines (default 1000)")
        static let stream = Param<LogStream>.optional("stream", Schema.string(enum: ["stdout", "stderr"]), "Only this stream")
        static let declared = [RunIDParam.runID.spec, tail.spec, afterSeq.spec, limit.spec, stream.spec]

        let runID: String, tail: Int?, afterSeq: Int?, limit: Int?, stream: LogStream?
        init(from p: ParamReader) throws(RPCError) {
            runID = try p.value(RunIDParam.runID)
            tail = try p.optional(Self.tail)
            afterSeq = try p.optional(Self.afterSeq)
            limit = try p.optional(Self.limit)
            stream = try p.optional(Self.stream)
        }
    }

    static let name = "logs"
    static let summary = "Lines of a run's output: the last `tail`, or those after `after_seq`"
    static let resultSchema = Schema.object("LogPage", [
        ("run_id", Schema.runID),
        ("lines", Schema.array(RecordSchemas.logLine)),
        ("total_lines", Schema.integer(minimum: 0)),
        ("next_seq", Schema.integer("The seq the next line will have; continue with after_seq = next_seq - 1", minimum: 0)),
        ("complete", Schema.boolean("The run has ended, no lines follow these and none were lost (log_lines_lost is 0)")),
    ], required: ["run_id", "lines", "total_lines", "next_seq", "complete"])
    static let errors = [ErrorCode.runNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let page = try session.workspace().logs(runID: p.runID, tail: p.tail, afterSeq: p.afterSeq, limit: p.limit,
                                               stream: p.stream)
        return [
            "run_id": .string(p.runID), "lines": .array(page.lines.map { $0.json() }),
            "total_lines": .int(Int64(page.totalLines)), "next_seq": .int(Int64(page.nextSeq)),
            "complete": .bool(page.complete),
        ]
    }
}

extension LogStream: StringEnumParam {}
