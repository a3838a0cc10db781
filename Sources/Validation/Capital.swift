import JSON

/// The capital the drawdown rule measures against, and where it came from, in the order the issue gives: the run's
/// `capital` param, else metadata.json `parameters.capital`, else the config (default 1,000,000). Messages say which
/// ("capital 1000000.00 from params"), because a wrong capital makes a drawdown look deeper or shallower than it was.
struct Capital: Sendable {
    var value: Double
    /// "params", "metadata.json" or "config".
    var source: String

    static func resolve(params: JSONObject, metadata: Double?, config: ValidationConfig) -> Capital {
        if let p = number(params["capital"]) { return Capital(value: p, source: "params") }
        if let m = metadata { return Capital(value: m, source: "metadata.json") }
        return Capital(value: config.capital, source: "config")
    }

    /// A positive number, also from a numeric string (params given on a command line arrive as text).
    static func number(_ v: JSONValue?) -> Double? {
        guard let v else { return nil }
        let d = v.doubleValue ?? v.stringValue.flatMap { DecimalParser.parse($0) }
        guard let d, d.isFinite, d > 0 else { return nil }
        return d
    }
}
