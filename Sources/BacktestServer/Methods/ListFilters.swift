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
    static let search = Param<String>.optional("where", Schema.string(),
        "Only runs this search matches (docs/search.md), e.g. metrics.sharpe > 1 and params.fast in (10, 20) and tags.nightly; "
        + "a text that does not parse answers -32602 with data {field, position, expected, got}")
    static let orderBy = Param<String>.optional("order_by", Schema.string(),
        "Sort keys instead of order, e.g. \"metrics.sharpe desc\" or \"params.fast asc, created_at\" (asc unless said); "
        + "runs lacking a key sort last, ties newest first")
    static let sweepID = Param<String>.optional("sweep_id", RecordSchemas.sweepID,
        "Only runs of this sweep (those made so far), the same as where sweep_id = \"...\"")
    static let declared = [status.spec, script.spec, tag.spec, since.spec, until.spec, sweepID.spec, search.spec, orderBy.spec,
                           limit.spec, offset.spec, order.spec]

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
    let filter: RunFilter?, orderBy: RunOrder?
    let limit: Int, offset: Int, ascending: Bool

    init(from p: ParamReader) throws(RPCError) {
        statuses = try p.optional(Self.status)?.statuses
        script = try p.optional(Self.script)
        tag = try p.optional(Self.tag)
        since = try Self.time(p, Self.since)
        until = try Self.time(p, Self.until)
        limit = try p.optional(Self.limit) ?? 50
        offset = try p.optional(Self.offset) ?? 0
        let order = try p.optional(Self.order)
        ascending = order == .asc
        let search = try Self.parsed(p, Self.search, RunFilter.parse)
        if let sweep = try p.optional(Self.sweepID) {
            let bySweep = RunFilter.compare(.sweepID, .equal, .string(sweep))
            filter = search.map { .all([bySweep, $0]) } ?? bySweep
        } else {
            filter = search
        }
        orderBy = try Self.parsed(p, Self.orderBy, RunOrder.parse)
        if order != nil, orderBy != nil { throw Self.orderConflict }
    }

    /// Whether a search or sort keys were asked for (`compare` refuses them next to `run_ids`).
    var searches: Bool { filter != nil || orderBy != nil }

    /// A `where` or `order_by` text, parsed; one that does not parse is -32602 saying where and why.
    private static func parsed<T>(_ p: ParamReader, _ param: Param<String>,
                                  _ parse: (String) throws(SearchSyntaxError) -> T?) throws(RPCError) -> T? {
        guard let text = try p.optional(param) else { return nil }
        do { return try parse(text) } catch { throw error.rpcError }
    }

    /// Both sort the runs: which one wins would be a guess.
    static let orderConflict = RPCError(
        code: RPCErrorCode.invalidParams,
        message: "Invalid params: order and order_by cannot be used together (order_by \"created_at asc\" is order asc)",
        data: ["field": "order_by", "expected": "order_by without order", "conflicts_with": "order"])

    /// A time that does not parse is a params error naming the field.
    private static func time(_ p: ParamReader, _ param: Param<String>) throws(RPCError) -> Int64? {
        guard let t = try p.optional(param) else { return nil }
        guard let ms = ISOTime.parse(t) else {
            throw .invalidParams(field: param.spec.name, expected: "ISO 8601 time (2026-11-21T10:00:00Z or 2026-11-21)", got: .string(t))
        }
        return ms
    }

    func query(_ ws: Workspace) throws -> (total: Int, runs: [RunRecord]) {
        try ws.list(status: statuses, script: script, tag: tag, since: since, until: until, where: filter, orderBy: orderBy,
                    limit: limit, offset: offset, ascending: ascending)
    }
}
