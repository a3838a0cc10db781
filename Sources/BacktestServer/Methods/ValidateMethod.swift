import BacktestCore
import JSON
import JSONRPC

/// `validate`: check a run's output files now and keep the report in its record.
struct ValidateMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        static let profile = Param<String>.optional("profile", Schema.string(), "Validation profile (default: the run's)")
        static let declared = [RunIDParam.runID.spec, profile.spec]
        let runID: String, profile: String?
        init(from p: ParamReader) throws(RPCError) {
            runID = try p.value(RunIDParam.runID)
            profile = try p.optional(Self.profile)
        }
    }

    static let name = "validate"
    static let summary = "Check a run's output files now and keep the report in its record"
    static let resultSchema = RecordSchemas.validationReport
    static let errors = [ErrorCode.runNotFound, ErrorCode.profileNotFound, ErrorCode.configInvalid].map(ErrorCode.spec)

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        try session.workspace().validate(runID: p.runID, profile: p.profile, isCancelled: { context.isCancelled })
    }
}
