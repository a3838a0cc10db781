import BacktestCore
import JSON
import JSONRPC

/// `sweep`: one run per param set (a grid, a list, or a sample of a grid), every other `run` param applied to
/// each; answers at once with every run id. The runs are queued under `max_parallel`, answered from the result
/// cache where they can be (`cache`, default `reuse`), and streamed to this client as `run/status` and
/// `sweep/progress`.
struct SweepMethod: RPCMethod {
    let session: ServerSession

    struct Params: MethodParams {
        typealias Run = RunMethod.Params
        static let grid = Param<JSONObject>.optional("grid", Schema.map(Schema.array(Schema.any)),
            "name → values: the cartesian product, in the order given (the last name varies fastest)")
        static let paramSets = Param<[JSONObject]>.optional("param_sets", Schema.array(Schema.map(Schema.any)),
            "An explicit list of param sets; with grid, each set is crossed with the grid")
        static let sample = Param<JSONObject>.optional("sample", Schema.object(nil, [
            ("n", Schema.integer("How many sets to draw", minimum: 1)),
            ("seed", Schema.integer("The same seed draws the same sets", minimum: 0)),
        ], required: ["n"]), "Draw n sets of the grid at random, reproducibly")
        static let params = Param<JSONObject>.optional("params", Schema.map(Schema.any), "Params every set gets")
        static let rankBy = Param<String>.optional("rank_by", Schema.string(),
            "What makes a run best: metrics.<name>, summary.<name> or params.<name>, then asc or desc (default desc)")
        static let cache = Param<CacheMode>.optional("cache", Schema.string(enum: CacheMode.allCases.map(\.rawValue)),
            "reuse (default): a run whose cache key matches a completed run's is answered from it; refresh: run and replace; off: never look")
        static let declared = [Run.script.spec, grid.spec, paramSets.spec, sample.spec, params.spec, rankBy.spec, cache.spec,
                               Run.args.spec, Run.env.spec, Run.timeout.spec, Run.tags.spec, Run.note.spec, Run.profile.spec,
                               Run.inputs.spec, Run.outputDirArg.spec, Run.sbatchArgs.spec]

        let plan: SweepPlan
        let template: RunRequest
        let rankBy: String?

        init(from p: ParamReader) throws(RPCError) {
            var grid: [(String, [JSONValue])] = []
            for (name, values) in try p.optional(Self.grid) ?? [:] { grid.append((name, values.arrayValue ?? [])) }
            var sample: (Int, UInt64)?
            if let s = try p.optional(Self.sample) {
                sample = (s["n"]?.intValue ?? 1, UInt64(max(0, s["seed"]?.intValue ?? 0)))
            }
            let paramSets = try p.optional(Self.paramSets)
            if grid.isEmpty && paramSets == nil {
                throw RPCError.invalidParams(field: "grid", expected: "grid or param_sets (or both)", got: nil)
            }
            if sample != nil && grid.isEmpty {
                throw RPCError.invalidParams(field: "sample", expected: "a grid to draw from", got: nil)
            }
            plan = SweepPlan(grid: grid, paramSets: paramSets, sample: sample, fixed: try p.optional(Self.params) ?? [:])
            var t = try RunMethod.Params(from: p).request
            t.params = [:]
            t.cache = try p.optional(Self.cache) ?? .reuse
            template = t
            rankBy = try p.optional(Self.rankBy)
        }
    }

    static let name = "sweep"
    static let summary = "Run a script over many param sets (grid, list or sample); answers at once with every run id"
    static let resultSchema = Schema.object("SweepStarted", [
        ("sweep_id", RecordSchemas.sweepID),
        ("run_ids", Schema.array(Schema.runID, "One run a param set, in order")),
        ("total", Schema.integer(minimum: 1)),
    ], required: ["sweep_id", "run_ids", "total"])
    static let errors = RunMethod.errors

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let ws = try session.workspace()
        try RunValidation(workspace: ws.config).checkProfile(p.template.profile)
        session.sweepStreams.prepare(ws)
        let sweep = try ws.sweep(p.plan, template: p.template, rankBy: p.rankBy)
        session.sweepStreams.started(sweep, in: ws)
        return ["sweep_id": .string(sweep.sweepID), "run_ids": .from(sweep.runIDs), "total": .int(Int64(sweep.total))]
    }
}

extension CacheMode: StringEnumParam {}
