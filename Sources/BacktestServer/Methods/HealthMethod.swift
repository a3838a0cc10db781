import Foundation
import JSON
import JSONRPC

/// `health`: is the server alive, and how busy is its workspace.
struct HealthMethod: RPCMethod {
    let session: ServerSession
    typealias Params = NoParams

    static let name = "health"
    static let summary = "Liveness, version, uptime and the workspace's run counts"
    static let execution = MethodSpec.Execution.inline
    static let resultSchema = Schema.object("Health", [
        ("status", Schema.string(enum: ["ok"])),
        ("version", Schema.string()),
        ("uptime_s", Schema.number()),
        ("active_runs", Schema.nullable(Schema.integer("Runs running or validating in the workspace"))),
        ("queued_runs", Schema.nullable(Schema.integer())),
        ("max_parallel", Schema.nullable(Schema.integer())),
        ("workspace", Schema.nullable(Schema.string("Workspace root, once open"))),
    ], required: ["status", "version", "uptime_s"])

    func handle(_ p: Params, _ context: RequestContext) throws -> JSONValue {
        let s = session
        var o: JSONObject = [
            "status": "ok", "version": .string(ServerInfo.version),
            "uptime_s": .double((Date().timeIntervalSince(s.startedAt) * 1000).rounded() / 1000),
        ]
        // Health must answer even when the workspace cannot be opened (a broken config): then the
        // workspace fields are null and the next request that needs the workspace says what is wrong.
        if let ws = try? s.workspaces.workspace() {
            let c = s.runCounts.get { ws.counts() }
            o["active_runs"] = .int(Int64(c.active))
            o["queued_runs"] = .int(Int64(c.queued))
            o["max_parallel"] = .int(Int64(ws.maxParallel))
            o["workspace"] = .string(ws.layout.root)
        } else {
            o["active_runs"] = .null; o["queued_runs"] = .null; o["max_parallel"] = .null; o["workspace"] = .null
        }
        return .object(o)
    }
}
