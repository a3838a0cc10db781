import JSON

/// The members of a record that working with many runs adds. They live in `extra`, so a record written by
/// an older server reads back unchanged, and one written by this server keeps its members in an older one.
extension RunRecord {
    /// The sweep this run belongs to.
    public var sweepID: String? { get { text("sweep_id") } set { setText("sweep_id", newValue) } }

    /// The completed run whose results this one reused instead of running (`cache: "reuse"`).
    public var cachedFrom: String? { get { text("cached_from") } set { setText("cached_from", newValue) } }

    /// The SHA-256 (hex) over what decides the run's result (`CacheKey`); absent when it could not be known.
    public var cacheKey: String? { get { text("cache_key") } set { setText("cache_key", newValue) } }

    /// The analytics the server computed from pnl.csv and trades.csv, the same formulas for every run
    /// (`metrics.<name>` in filters and tables).
    public var metrics: JSONObject? { get { object("metrics") } set { setObject("metrics", newValue) } }

    /// The script's own summary.csv rows, `metric → value` (numbers where the text is one), kept so that
    /// search and tables need not read the file again (`summary.<name>`).
    public var summary: JSONObject? { get { object("summary") } set { setObject("summary", newValue) } }

    private func text(_ key: String) -> String? { extra[key]?.stringValue }
    private mutating func setText(_ key: String, _ value: String?) { extra[key] = value.map(JSONValue.string) }
    private func object(_ key: String) -> JSONObject? { extra[key]?.objectValue }
    private mutating func setObject(_ key: String, _ value: JSONObject?) { extra[key] = value.map(JSONValue.object) }
}
