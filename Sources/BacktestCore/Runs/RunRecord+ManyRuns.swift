import JSON

/// The members of a record that working with many runs adds. They live in `extra`, so a record written by
/// an older server reads back unchanged, and one written by this server keeps its members in an older one.
extension RunRecord {
    /// The sweep this run belongs to.
    public var sweepID: String? {
        get { extra["sweep_id"]?.stringValue }
        set { extra["sweep_id"] = newValue.map(JSONValue.string) }
    }

    /// The completed run whose results this one reused instead of running (`cache: "reuse"`).
    public var cachedFrom: String? {
        get { extra["cached_from"]?.stringValue }
        set { extra["cached_from"] = newValue.map(JSONValue.string) }
    }

    /// The SHA-256 (hex) over what decides the run's result (`CacheKey`); absent when it could not be known.
    public var cacheKey: String? {
        get { extra["cache_key"]?.stringValue }
        set { extra["cache_key"] = newValue.map(JSONValue.string) }
    }

    /// The analytics the server computed from pnl.csv and trades.csv, the same formulas for every run
    /// (`metrics.<name>` in filters and tables).
    public var metrics: JSONObject? {
        get { extra["metrics"]?.objectValue }
        set { extra["metrics"] = newValue.map(JSONValue.object) }
    }

    /// The script's own summary.csv rows, `metric → value` (numbers where the text is one), kept so that
    /// search and tables need not read the file again (`summary.<name>`).
    public var summary: JSONObject? {
        get { extra["summary"]?.objectValue }
        set { extra["summary"] = newValue.map(JSONValue.object) }
    }
}
