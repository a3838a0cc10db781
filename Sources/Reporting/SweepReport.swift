import Base
import JSON

/// Renders a sweep as one self-contained HTML page: its runs ranked by the sweep's `rank_by`, and, when the
/// sweep varied two params (or more: the first two that vary), a heatmap of `rank_by` over them, one cell
/// per pair of values (the best run of that pair when other params vary too). Like `HTMLReport`: no
/// scripts or fetched resources, every value escaped.
public enum SweepReport {
    /// One run of the sweep as the page needs it.
    public struct Row: Sendable {
        public var runID: String
        public var status: String
        public var params: JSONObject
        /// The `rank_by` value; nil when the run has none (not completed, or no such metric).
        public var value: Double?
        public init(runID: String, status: String, params: JSONObject, value: Double?) {
            self.runID = runID; self.status = status; self.params = params; self.value = value
        }
    }

    public static func render(sweepID: String, script: String, rankBy: String?, ascending: Bool, rows: [Row]) -> String {
        let ranked = rank(rows, ascending: ascending)
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        h += "<title>Sweep \(e(sweepID))</title>\n<style>\(style)</style>\n</head>\n<body>\n"
        h += "<h1>Sweep \(e(sweepID))</h1>\n<p>\(e(script)) · \(rows.count) runs · ranked by \(e(rankBy ?? "nothing (no rank_by)"))"
        h += ascending ? " (ascending)" : ""
        h += "</p>\n"
        let varied = variedParams(rows)
        if let rankBy, varied.count >= 2 { h += heatmap(rows, x: varied[0], y: varied[1], metric: rankBy, ascending: ascending) }
        h += table(ranked, params: variedOrAll(rows, varied), metric: rankBy)
        h += "</body>\n</html>\n"
        return h
    }

    /// Runs with a value first, best first; then the others in sweep order.
    static func rank(_ rows: [Row], ascending: Bool) -> [Row] {
        let valued = rows.filter { $0.value != nil }.sorted { a, b in ascending ? a.value! < b.value! : a.value! > b.value! }
        return valued + rows.filter { $0.value == nil }
    }

    /// Params that take more than one value across the runs, in the order they first appear.
    static func variedParams(_ rows: [Row]) -> [String] {
        var order: [String] = []
        var values: [String: Set<String>] = [:]
        for r in rows {
            for (name, v) in r.params {
                if values[name] == nil { order.append(name) }
                values[name, default: []].insert(JSONWriter.string(v))
            }
        }
        return order.filter { (values[$0]?.count ?? 0) > 1 }
    }

    private static func variedOrAll(_ rows: [Row], _ varied: [String]) -> [String] {
        varied.isEmpty ? Array(rows.first?.params.keys ?? []) : varied
    }

    static func heatmap(_ rows: [Row], x: String, y: String, metric: String, ascending: Bool) -> String {
        let xs = distinct(rows, x), ys = distinct(rows, y)
        var best: [String: Double] = [:]
        for r in rows {
            guard let v = r.value, let a = r.params[x], let b = r.params[y] else { continue }
            let k = JSONWriter.string(a) + "\u{1F}" + JSONWriter.string(b)
            if let old = best[k], ascending ? old <= v : old >= v { continue }
            best[k] = v
        }
        let lo = best.values.min() ?? 0, hi = best.values.max() ?? 0
        var h = "<h2>\(e(metric)) by \(e(x)) and \(e(y))</h2>\n<table class=\"heat\">\n<tr><th>\(e(y)) \\ \(e(x))</th>"
        for a in xs { h += "<th>\(e(text(a)))</th>" }
        h += "</tr>\n"
        for b in ys {
            h += "<tr><th>\(e(text(b)))</th>"
            for a in xs {
                guard let v = best[JSONWriter.string(a) + "\u{1F}" + JSONWriter.string(b)] else { h += "<td class=\"none\"></td>"; continue }
                // Better is greener whichever way the metric is ranked.
                var t = hi > lo ? (v - lo) / (hi - lo) : 1
                if ascending { t = 1 - t }
                h += "<td style=\"background:hsl(\(Int(t * 120)),65%,70%)\">\(HTMLText.number(v, decimals: 4))</td>"
            }
            h += "</tr>\n"
        }
        return h + "</table>\n"
    }

    static func table(_ rows: [Row], params: [String], metric: String?) -> String {
        var h = "<h2>Runs</h2>\n<table>\n<tr><th>#</th><th>run</th><th>status</th>"
        for p in params { h += "<th>\(e(p))</th>" }
        h += "<th>\(e(metric ?? "value"))</th></tr>\n"
        for (i, r) in rows.enumerated() {
            h += "<tr><td>\(i + 1)</td><td>\(e(r.runID))</td><td>\(e(r.status))</td>"
            for p in params { h += "<td>\(e(r.params[p].map(text) ?? ""))</td>" }
            h += "<td>\(r.value.map { HTMLText.number($0, decimals: 4) } ?? "")</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private static func distinct(_ rows: [Row], _ name: String) -> [JSONValue] {
        var seen = Set<String>(), out: [JSONValue] = []
        for r in rows { if let v = r.params[name], seen.insert(JSONWriter.string(v)).inserted { out.append(v) } }
        return out.sorted { a, b in
            if let x = a.doubleValue, let y = b.doubleValue { return x < y }
            return JSONWriter.string(a) < JSONWriter.string(b)
        }
    }

    private static func text(_ v: JSONValue) -> String { v.stringValue ?? JSONWriter.string(v) }
    private static func e(_ s: String) -> String { HTMLText.escape(s) }

    static let style = """
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}\
        th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}\
        .heat td{min-width:4em}.none{background:#fafafa}
        """
}
