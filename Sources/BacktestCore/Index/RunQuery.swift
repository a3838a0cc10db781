/// The filters, order and page of a `list`. Every filter given must hold; `filter` is the `where` of a
/// search (docs/search.md) and combines with the others like any of them.
public struct RunQuery: Sendable, Equatable {
    /// nil: any status.
    public var statuses: [RunStatus]?
    /// The script's path relative to the scripts dir, exactly.
    public var script: String?
    /// Runs carrying this tag.
    public var tag: String?
    /// Created at or after / at or before, epoch milliseconds.
    public var sinceMillis: Int64?
    public var untilMillis: Int64?
    public var filter: RunFilter?
    /// Sort keys (`order_by`); when given, `ascending` is not used and ties end newest first.
    public var order: RunOrder?
    public var limit: Int
    public var offset: Int
    /// Oldest first; the default is newest first.
    public var ascending: Bool

    public init(statuses: [RunStatus]? = nil, script: String? = nil, tag: String? = nil, sinceMillis: Int64? = nil,
                untilMillis: Int64? = nil, filter: RunFilter? = nil, order: RunOrder? = nil, limit: Int = 50,
                offset: Int = 0, ascending: Bool = false) {
        self.statuses = statuses; self.script = script; self.tag = tag; self.sinceMillis = sinceMillis
        self.untilMillis = untilMillis; self.filter = filter; self.order = order; self.limit = limit
        self.offset = offset; self.ascending = ascending
    }
}
