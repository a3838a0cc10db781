import Base
import JSON

/// The capital a run's equity is measured against (equity = capital + cumulative_pnl), and where it came from.
/// One rule for everything that speaks of drawdown — the validator's `pnl.max_drawdown` and the HTML report —
/// so that they never disagree:
///
/// 1. the run's params: `capital`, else `cash`, else `initial_capital`, else `starting_cash`;
/// 2. else results/metadata.json `parameters`, the same names in the same order;
/// 3. else `validation.capital` (default 1,000,000).
///
/// Only a positive number counts (a numeric string too: params given on a command line arrive as text).
/// Messages say which source ("capital 1000000.00 from params"), because a wrong capital makes a drawdown
/// look deeper or shallower than it was.
public struct Capital: Sendable, Equatable {
    public var value: Double
    /// "params", "metadata.json" or "config".
    public var source: String
    /// The member that gave it (`capital`, `cash`, `initial_capital`, `starting_cash`); nil from the config.
    public var name: String?

    public init(value: Double, source: String, name: String? = nil) {
        self.value = value; self.source = source; self.name = name
    }

    /// The names that mean the capital, in the order they are looked for.
    public static let names = ["capital", "cash", "initial_capital", "starting_cash"]

    /// The rule, given the params and the metadata's `parameters` object (nil: no usable metadata.json).
    public static func resolve(params: JSONObject, metadataParameters: JSONValue?, configured: Double) -> Capital {
        if let (name, v) = first(in: params) { return Capital(value: v, source: "params", name: name) }
        if let o = metadataParameters?.objectValue, let (name, v) = first(in: o) {
            return Capital(value: v, source: "metadata.json", name: name)
        }
        return Capital(value: configured, source: "config")
    }

    /// The rule for a run's results directory: reads `<resultsDir>/metadata.json` itself.
    public static func resolve(params: JSONObject, resultsDir: String, configured: Double) -> Capital {
        resolve(params: params, metadataParameters: metadataParameters(resultsDir: resultsDir), configured: configured)
    }

    static func resolve(params: JSONObject, metadataParameters: JSONValue?, config: ValidationConfig) -> Capital {
        resolve(params: params, metadataParameters: metadataParameters, configured: config.capital)
    }

    /// `parameters` of `<resultsDir>/metadata.json`, when the file parses to an object that has it.
    public static func metadataParameters(resultsDir: String) -> JSONValue? {
        guard case .value(let v) = JSONFileRead.read(PathText.join(resultsDir, MetadataCheck.file), limit: MetadataCheck.maxSize)
        else { return nil }
        return v["parameters"].objectValue.map(JSONValue.object)
    }

    /// The first of `names` in `o` that holds a positive number.
    static func first(in o: JSONObject) -> (String, Double)? {
        for name in names { if let v = number(o[name]) { return (name, v) } }
        return nil
    }

    /// A positive number, also from a numeric string.
    static func number(_ v: JSONValue?) -> Double? {
        guard let v else { return nil }
        let d = v.doubleValue ?? v.stringValue.flatMap { DecimalParser.parse($0) }
        guard let d, d.isFinite, d > 0 else { return nil }
        return d
    }
}
