import BacktestCore
import JSON
import JSONRPC
import Validation

/// `validate`, `results`, `read`: checking a run's files and fetching them.
enum ResultMethods {
    static func register(_ r: MethodRegistry, _ s: ServerSession) {
        registerValidate(r, s)
        registerResults(r, s)
        registerRead(r, s)
    }

    static let report = Schema.object("ValidationReport", [
        ("valid", Schema.boolean()),
        ("errors", Schema.array(Schema.string(), "Messages, each naming its file and line: `pnl.csv:1043: ...`")),
        ("warnings", Schema.array(Schema.string())),
        ("issues", Schema.array(Schema.object("ValidationIssue", [
            ("severity", Schema.string(enum: ["error", "warning"])),
            ("rule", Schema.string("Stable rule id, e.g. trades.required_columns")),
            ("file", Schema.string()),
            ("line", Schema.nullable(Schema.integer())),
            ("message", Schema.string()),
        ], required: ["severity", "rule", "file", "message"]))),
        ("file_checks", Schema.map(Schema.object("FileCheck", [
            ("exists", Schema.boolean()), ("size", Schema.integer()), ("row_count", Schema.nullable(Schema.integer())),
            ("columns", Schema.nullable(Schema.array(Schema.string()))), ("errors", Schema.array(Schema.string())),
            ("warnings", Schema.array(Schema.string())),
        ]))),
        ("profile", Schema.string()),
        ("validated_at", Schema.timestamp),
        ("duration_ms", Schema.number()),
    ], required: ["valid", "errors", "warnings", "file_checks", "profile", "validated_at", "duration_ms"])

    static func registerValidate(_ r: MethodRegistry, _ s: ServerSession) {
        r.register(.method("validate", "Check a run's output files now and keep the report in its record",
                           params: [.required("run_id", Schema.runID, "The run"),
                                    .optional("profile", Schema.string(), "Validation profile (default: the run's)")],
                           result: report,
                           errors: [ErrorCode.runNotFound, ErrorCode.profileNotFound, ErrorCode.configInvalid])) { p, ctx in
            let ws = try s.workspace()
            return try core {
                try ws.validate(runID: p.requiredString("run_id"), profile: p.string("profile"), isCancelled: { ctx.isCancelled })
            }
        }
    }

    static func registerResults(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("ResultFiles", [
            ("run_id", Schema.runID),
            ("output_dir", Schema.string()),
            ("files", Schema.array(Schema.object("ResultFile", [
                ("path", Schema.string("Relative to output_dir")), ("size", Schema.integer()), ("modified", Schema.timestamp),
            ], required: ["path", "size", "modified"]))),
        ], required: ["run_id", "output_dir", "files"])
        r.register(.method("results", "Every file under a run's results directory", params: [.required("run_id", Schema.runID, "The run")],
                           result: result, errors: [ErrorCode.runNotFound])) { p, _ in
            let ws = try s.workspace()
            let record = try core { try ws.record(runID: p.requiredString("run_id")) }
            let files = (try? ResultFiles.listJSON(resultsDir: record.outputDir)) ?? .array([])
            return ["run_id": .string(record.runID), "output_dir": .string(record.outputDir), "files": files]
        }
    }

    static func registerRead(_ r: MethodRegistry, _ s: ServerSession) {
        let result = Schema.object("FileChunk", [
            ("path", Schema.string()), ("offset", Schema.integer()),
            ("data", Schema.string("The chunk, as text or base64")),
            ("encoding", Schema.string(enum: ["utf8", "base64"])),
            ("size", Schema.integer("Size of the whole file")),
            ("length", Schema.integer("Bytes of the file this chunk covers")),
            ("next_offset", Schema.integer("Where the next chunk starts")),
            ("eof", Schema.boolean("The chunk reaches the end of the file")),
        ], required: ["path", "offset", "data", "encoding", "size", "eof"])
        r.register(.method("read", "A chunk of one result file (at most 1 MiB by default, 16 MiB if asked)",
                           params: [
                            .required("run_id", Schema.runID, "The run"),
                            .required("path", Schema.string(), "Relative to the results directory"),
                            .optional("offset", Schema.integer(minimum: 0), "Byte offset (default 0)"),
                            .optional("length", Schema.integer(minimum: 1, maximum: 16 << 20), "Bytes to read (default 1 MiB)"),
                            .optional("encoding", Schema.string(enum: ["utf8", "base64"]),
                                      "utf8 (default; never splits a character) or base64 (exact bytes)"),
                           ],
                           result: result,
                           errors: [ErrorCode.runNotFound, ErrorCode.pathOutsideRun, ErrorCode.fileNotFound])) { p, _ in
            let ws = try s.workspace()
            let record = try core { try ws.record(runID: p.requiredString("run_id")) }
            let path = try p.requiredString("path")
            do throws(ResultFileError) {
                return .object(try ResultFiles.read(
                    resultsDir: record.outputDir, path: path, offset: Int64(p.int("offset") ?? 0), length: p.int("length"),
                    encoding: p.string("encoding").flatMap(ResultFiles.Encoding.init(rawValue:)) ?? .utf8))
            } catch {
                switch error {
                case .pathOutsideRun: throw CoreError.pathOutsideRun(runID: record.runID, path: path).rpcError
                case .fileNotFound: throw CoreError.fileNotFound(runID: record.runID, path: path).rpcError
                case .invalid(let reason): throw RPCError.invalidParams(field: "path", expected: reason, got: .string(path))
                }
            }
        }
    }
}
