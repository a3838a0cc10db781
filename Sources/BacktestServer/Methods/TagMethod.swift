import BacktestCore
import JSON
import JSONRPC

/// `tag`: edit an ended run's tags and note after the fact.
struct TagMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let add = Param<[String]>.optional("add", Schema.array(Schema.string()), "Tags to add")
        static let remove = Param<[String]>.optional("remove", Schema.array(Schema.string()), "Tags to remove")
        static let note = Param<String>.optional("note", ["type": ["string", "null"]], "The new note (null: none)")
        static let declared = [RunIDParam.runID.spec, add.spec, remove.spec, note.spec]
        let runID: String
        let add: [String]
        let remove: [String]
        let note: String??
        init(from p: ParamReader) throws(RPCError) {
            runID = try p.value(RunIDParam.runID)
            add = try p.optional(Self.add) ?? []
            remove = try p.optional(Self.remove) ?? []
            note = try p.nullable(Self.note)
        }
    }

    static let name = "tag"
    static let summary = "Add or remove an ended run's tags, or change its note"
    static let resultSchema = RecordSchemas.run
    static let errors = [ErrorCode.runNotFound, ErrorCode.runNotFinished].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        try session.workspace().tag(runID: p.runID, add: p.add, remove: p.remove, note: p.note).json()
    }
}
