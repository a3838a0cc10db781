import Base
import JSON

/// The validation settings of a workspace, from the `validation` and `profiles` sections of `backtest-rpc.json`.
/// Every field has a default, so a workspace without a config validates with the built-in `backtest` profile.
/// See docs/validation.md for the keys.
public struct ValidationConfig: Sendable {
    /// The name of the built-in profile.
    public static let builtinProfile = "backtest"
    /// The built-in profile that checks nothing: a run completes on exit 0, its validation recorded as skipped.
    public static let noChecksProfile = "none"

    /// The profile used when `run` or `validate` names none.
    public var defaultProfile = ValidationConfig.builtinProfile
    /// `validation.rules.max_loss_per_trade`: a trade losing more than this warns.
    public var maxLossPerTrade = 10_000.0
    /// `validation.rules.min_trades`: fewer trades than this warns.
    public var minTrades = 10
    /// `validation.rules.max_drawdown_pct`: a drawdown deeper than this percentage of the peak equity warns.
    public var maxDrawdownPct = 30.0
    /// `validation.capital`: the capital used when neither the run's params nor metadata.json give one.
    public var capital = 1_000_000.0
    /// `validation.tolerance`: how far reconciled amounts may differ.
    public var tolerance = Tolerance()
    /// `validation.severity`: rule id → error, warning or off.
    public var severities: [String: RuleSeverity] = [:]
    /// `validation.calendar` and `validation.holidays`: which days pnl.csv must have.
    public var calendar = TradingCalendar.weekdays
    /// `profiles`: the workspace's own profiles, in the order declared.
    public var profiles: [UserProfile] = []
    /// Read a large trades.csv with two threads (a switch for tests and benchmarks; results are identical).
    public var parallelRead = true
    /// Files at least this large are split (tests lower it to exercise the split on small files).
    var parallelThreshold: Int64 = 16 << 20

    /// Two amounts agree if they differ by at most `absolute` or by `relative` times the larger of them,
    /// whichever allows more: cents for daily figures, a millionth for sums over a million trades.
    public struct Tolerance: Sendable, Equatable {
        public var absolute = 0.01
        public var relative = 1e-6

        public init(absolute: Double = 0.01, relative: Double = 1e-6) {
            self.absolute = absolute
            self.relative = relative
        }

        public func allowed(_ a: Double, _ b: Double) -> Double { max(absolute, relative * max(abs(a), abs(b))) }

        public func agree(_ a: Double, _ b: Double) -> Bool {
            // A hair of slack so that 0.01 apart in decimal (0.30000000000000004 in binary) still agrees.
            abs(a - b) <= allowed(a, b) * (1 + 1e-9) + 1e-9
        }

        /// For per-row figures (a day's cumulative_pnl): the absolute tolerance alone, since a relative one on a
        /// large running total would hide cents.
        public func agreeAbsolute(_ a: Double, _ b: Double) -> Bool {
            abs(a - b) <= absolute * (1 + 1e-9) + 1e-9
        }

        /// "0.01, or 1e-06 relative, whichever is larger" for messages.
        public var description: String { "tolerance \(formatAmount(absolute)) or \(relative) relative, whichever is larger" }
    }

    public init() {}

    /// The defaults: the built-in profile, weekdays, no holidays.
    public static let `default` = ValidationConfig()

    /// Every profile `validate` accepts: the built-in ones first (`backtest`, `none`), then the config's in
    /// declaration order.
    public var profileNames: [String] { [ValidationConfig.builtinProfile, ValidationConfig.noChecksProfile] + profiles.map(\.name) }

    /// The user profile with this name, if any.
    public func profile(named name: String) -> UserProfile? { profiles.first { $0.name == name } }

    /// Reads the `validation` and `profiles` members of the whole config object (nil: no config file).
    public static func parse(_ config: JSONObject?) throws(ValidationConfigError) -> ValidationConfig {
        var c = ValidationConfig()
        guard let config else { return c }
        if let p = config["profiles"], !p.isNull {
            let pr = try ConfigReader.object(p, path: "profiles")
            for (name, spec) in pr.object {
                if name == builtinProfile || name == noChecksProfile {
                    throw ValidationConfigError(key: pr.key(name), reason: "\"\(name)\" is a built-in profile's name")
                }
                if name.isEmpty { throw ValidationConfigError(key: pr.key(name), reason: "a profile needs a name") }
                c.profiles.append(try UserProfile.parse(name: name, spec, path: pr.key(name)))
            }
        }
        guard let v = config["validation"], !v.isNull else { return c }
        let r = try ConfigReader.object(v, path: "validation")
        try r.checkKeys(["default_profile", "rules", "capital", "tolerance", "severity", "calendar", "holidays",
                         "parallel_read"])
        if let d = try r.string("default_profile") {
            guard c.profileNames.contains(d) else {
                throw ValidationConfigError(key: r.key("default_profile"),
                                            reason: "no profile \"\(d)\" (available: \(c.profileNames.joined(separator: ", ")))")
            }
            c.defaultProfile = d
        }
        if let rules = try r.child("rules") {
            try rules.checkKeys(["max_loss_per_trade", "min_trades", "max_drawdown_pct"])
            if let x = try rules.number("max_loss_per_trade", nonNegative: true) { c.maxLossPerTrade = x }
            if let x = try rules.nonNegativeInt("min_trades") { c.minTrades = x }
            if let x = try rules.number("max_drawdown_pct", nonNegative: true) {
                guard x <= 100 else {
                    throw ValidationConfigError(key: rules.key("max_drawdown_pct"), reason: "expected a percentage from 0 to 100")
                }
                c.maxDrawdownPct = x
            }
        }
        if let x = try r.number("capital", positive: true) { c.capital = x }
        if let t = r.object["tolerance"], !t.isNull {
            if let x = t.doubleValue {
                guard x >= 0, x.isFinite else {
                    throw ValidationConfigError(key: r.key("tolerance"), reason: "expected a non-negative number")
                }
                c.tolerance.absolute = x
            } else {
                let tr = try ConfigReader.object(t, path: r.key("tolerance"))
                try tr.checkKeys(["absolute", "relative"])
                if let x = try tr.number("absolute", nonNegative: true) { c.tolerance.absolute = x }
                if let x = try tr.number("relative", nonNegative: true) { c.tolerance.relative = x }
            }
        }
        var kind = TradingCalendar.Kind.weekdays
        if let name = try r.string("calendar") {
            guard let k = TradingCalendar.Kind.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                throw ValidationConfigError(key: r.key("calendar"), reason: "expected \"weekdays\" or \"XNYS\", got \"\(name)\"")
            }
            kind = k
        }
        var holidays = Set<CivilDate>()
        for (i, h) in (try r.strings("holidays") ?? []).enumerated() {
            guard h.utf8.count == 10, let d = CivilDate.parse(h) else {
                throw ValidationConfigError(key: "\(r.key("holidays"))[\(i)]", reason: "expected a date YYYY-MM-DD, got \"\(h)\"")
            }
            holidays.insert(d)
        }
        c.calendar = TradingCalendar(kind: kind, holidays: holidays)
        if let sev = try r.child("severity") {
            var known = Set(BacktestRules.all.map(\.id))
            for p in c.profiles { known.formUnion(p.rules.map(\.id)) }
            c.severities = try parseSeverities(sev, known: known)
        }
        if let p = try r.bool("parallel_read") { c.parallelRead = p }
        return c
    }

    /// Reads a `{rule id: "error" | "warning" | "off"}` map, refusing ids no profile has.
    static func parseSeverities(_ r: ConfigReader, known: Set<String>) throws(ValidationConfigError) -> [String: RuleSeverity] {
        var out: [String: RuleSeverity] = [:]
        for (id, v) in r.object {
            guard known.contains(id) else {
                throw ValidationConfigError(key: r.key(id), reason: "unknown rule id (see docs/validation.md for the list)")
            }
            guard let s = v.stringValue, let sev = RuleSeverity(rawValue: s) else {
                throw ValidationConfigError(key: r.key(id), reason: "expected \"error\", \"warning\" or \"off\", got \(r.describe(v))")
            }
            out[id] = sev
        }
        return out
    }
}
