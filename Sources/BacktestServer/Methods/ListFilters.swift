import Base
import BacktestCore
import JSON
import JSONRPC

/// The filters and page of `list`, which `compare` takes too.
struct ListFilters: Sendable {
    static let status = Param<StatusFilter>.optional("status", ["oneOf": [RecordSchemas.status, Schema.array(RecordSchemas.status)]],
                                                     "Only runs in this status (or these)")
    static let script = Param<String>.optional("script", Schema.string(), "Only runs of this script")
    static let tag = Param<String>.optional("tag", Schema.string(), "Only runs with this tag")
    static let since = Param<String>.optional("since", Schema.timestamp, "Created at or after this time")
    static let until = Param<String>.optional("until", Schema.timestamp, "Created before this time")
    static let limit = Param<Int>.optional("limit", Schema.integer(minimum: 1, maximum: 10_000), "Page size (default 50)")
    static let offset = Param<Int>.optional("offset", Schema.integer(minimum: 0), "Skip this many (default 0)")
    static let order = Param<Order>.optional("order", Schema.string(enum: ["asc", "desc"]), "By creation time (default desc: newest first)")
    static let declared = [status.spec, script.spec, tag.spec, since.spec, until.spec, limit.spec, offset.spec, order.spec]

    enum Order: String, StringEnumParam { case asc, desc }

    /// One status or a list of them.
    struct StatusFilter: ParamValue {
        let statuses: [RunStatus]
        static func decode(_ value: JSONValue, field: String) throws(RPCError) -> StatusFilter {
            let names: [String]
            if let one = value.stringValue { names = [one] } else { names = try [String].decode(value, field: field) }
            return StatusFilter(statuses: names.compactMap(RunStatus.init(rawValue:)))
        }
    }

    let statuses: [RunStatus]?, script: String?, tag: String?, since: Int64?, until: Int64?
    let limit: Int, offset: Int, ascending: Bool

    init(from p: ParamReader) throws(RPCError) {
        statuses = try p.optional(Self.status)?.statuses
        script = try p.optional(Self.script)
        tag = try p.optional(Self.tag)
        since = try Self.time(p, Self.since)
        until = try Self.time(p, Self.until)
        limit = try p.optional(Self.limit) ?? 50
        offset = try p.optional(Self.offset) ?? 0
        ascending = try p.optional(Self.order) == .asc
    }

    /// A time that does not parse is a params error naming the field.
    private static func time(_ p: ParamReader, _ param: Param<String>) throws(RPCError) -> Int64? {
        guard let t = try p.optional(param) else { return nil }
        guard let ms = ISOTime.parse(t) else {
            throw .invalidParams(field: param.spec.name, expected: "ISO 8601 time (2026-11-21T10:00:00Z or 2026-11-21)", got: .string(t))
        }
        return ms
    }

    func query(_ ws: Workspace) throws -> (total: Int, runs: [RunRecord]) {
        try ws.list(status: statuses, script: script, tag: tag, since: since, until: until, limit: limit, offset: offset,
                    ascending: ascending)
    }
}
