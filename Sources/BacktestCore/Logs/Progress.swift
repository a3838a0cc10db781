import JSON

/// How far a run says it is, read from one of its log lines.
public struct Progress: Sendable, Equatable {
    /// 0...100, from a `N%` in the line or computed from current/total.
    public var percent: Double?
    public var current: Int?
    public var total: Int?
    /// The line it came from, trimmed.
    public var message: String

    public init(percent: Double?, current: Int?, total: Int?, message: String) {
        self.percent = percent; self.current = current; self.total = total; self.message = message
    }

    /// The params of a `run/progress` notification: `{run_id, percent?, current?, total?, message}`.
    public func json(runID: String) -> JSONObject {
        var o = JSONObject()
        o.appendUnchecked("run_id", .string(runID))
        if let percent { o.appendUnchecked("percent", .double(percent)) }
        if let current { o.appendUnchecked("current", .int(Int64(current))) }
        if let total { o.appendUnchecked("total", .int(Int64(total))) }
        o.appendUnchecked("message", .string(message))
        return o
    }
}
