import BacktestCore
import JSON
import JSONRPC

/// `read`: a chunk of one result file, as text or base64.
struct ReadMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let path = Param<String>.required("path", Schema.string(), "Relative to the results directory")
        static let offset = Param<Int>.optional("offset", Schema.integer(minimum: 0), "Byte offset (default 0)")
        static let length = Param<Int>.optional("length", Schema.integer(minimum: 1, maximum: 16 << 20), "Bytes to read (default 1 MiB)")
        static let encoding = Param<ResultFiles.Encoding>.optional("encoding", Schema.string(enum: ["utf8", "base64"]),
            "utf8 (default; never splits a character) or base64 (exact bytes)")
        static let declared = [RunIDParam.runID.spec, path.spec, offset.spec, length.spec, encoding.spec]

        let runID: String, path: String, offset: Int, length: Int?, encoding: ResultFiles.Encoding
        init(from p: ParamReader) throws(RPCError) {
            runID = try p.value(RunIDParam.runID)
            path = try p.value(Self.path)
            offset = try p.optional(Self.offset) ?? 0
            length = try p.optional(Self.length)
            encoding = try p.optional(Self.encoding) ?? .utf8
        }
    }

    static let name = "read"
    static let summary = "A chunk of one result file (at most 1 MiB by default, 16 MiB if asked)"
    static let resultSchema = Schema.object("FileChunk", [
        ("path", Schema.string()), ("offset", Schema.integer()),
        ("data", Schema.string("The chunk, as text or base64")),
        ("encoding", Schema.string(enum: ["utf8", "base64"])),
        ("size", Schema.integer("Size of the whole file")),
        ("length", Schema.integer("Bytes of the file this chunk covers")),
        ("next_offset", Schema.integer("Where the next chunk starts")),
        ("eof", Schema.boolean("The chunk reaches the end of the file")),
    ], required: ["path", "offset", "data", "encoding", "size", "eof"])
    static let errors = [ErrorCode.runNotFound, ErrorCode.pathOutsideRun, ErrorCode.fileNotFound].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let record = try session.workspace().record(runID: p.runID)
        do throws(ResultFileError) {
            return .object(try ResultFiles.read(resultsDir: record.outputDir, path: p.path, offset: Int64(p.offset),
                                                length: p.length, encoding: p.encoding))
        } catch {
            switch error {
            case .pathOutsideRun: throw CoreError.pathOutsideRun(runID: record.runID, path: p.path)
            case .fileNotFound: throw CoreError.fileNotFound(runID: record.runID, path: p.path)
            case .invalid(let reason): throw RPCError.invalidParams(field: "path", expected: reason, got: .string(p.path))
            }
        }
    }
}

extension ResultFiles.Encoding: StringEnumParam {}
