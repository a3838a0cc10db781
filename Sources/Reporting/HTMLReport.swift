import Base
import JSON
import Provenance
import Validation

/// Renders a run as one self-contained HTML page: equity curve and drawdown (inline SVG, one `<path>` each),
/// metrics, validation result, params and provenance.
///
/// No scripts, fonts, images or stylesheets are fetched: the page opens from disk in any browser with no
/// network. Every value from the run is HTML-escaped. Every element is closed explicitly, so strict parsers
/// and diff tools read it as well as browsers do.
public enum HTMLReport {
    /// Where a run's report goes, relative to its results folder.
    public static let relativePath = "reports/report.html"

    /// The capital used when neither the params nor metadata.json state one and the caller gives no
    /// `validation.capital`: the validator's default.
    public static let defaultCapital = ValidationConfig.default.capital

    /// - Parameters:
    ///   - record: the run record (run.json).
    ///   - pnlCSVPath: the run's pnl.csv; a missing file throws `ProvenanceError.missingFile`.
    ///   - summaryCSVPath: the run's summary.csv, if any.
    ///   - validation: the validation report; when nil, the record's `validation` member is used.
    ///   - metadata: the run's metadata document, if any.
    ///   - configuredCapital: the workspace's `validation.capital`, the last resort of the capital rule.
    public static func render(record: JSONObject, pnlCSVPath: String, summaryCSVPath: String?, validation: JSONValue?,
                              metadata: JSONValue?, configuredCapital: Double = defaultCapital) throws -> String {
        // Metrics are shown as summary.csv wrote them (`-506194.70`, not a re-formatted double).
        let summaryTexts = summaryCSVPath.flatMap { try? FileSystem.readFile($0, limit: 16 << 20) }.map(SummaryMetrics.texts)
        let resolved = Self.capital(record: record, resultsDir: PathText.parent(pnlCSVPath), configured: configuredCapital)
        let capital = resolved.value
        let series = try EquitySeries(pnlCSVPath: pnlCSVPath, capital: capital)
        let runID = record["run_id"]?.stringValue ?? "unknown run"
        let validation = validation ?? record["validation"]

        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        h += "<title>Backtest report \(e(runID))</title>\n<style>\(style)</style>\n</head>\n<body>\n"
        h += "<header><h1>Backtest report</h1><p class=\"sub\">"
        h += [runID, record["script"]?.stringValue, record["status"]?.stringValue].compactMap { $0 }.map(e).joined(separator: " · ")
        h += "</p></header>\n"

        // Charts.
        let first = series.dates.first ?? "", last = series.dates.last ?? ""
        let equityChart = SVGLineChart(title: "Equity curve", values: series.equity, firstLabel: first, lastLabel: last,
                                       format: { HTMLText.number($0, decimals: 0) })
        let drawdownChart = SVGLineChart(title: "Drawdown", values: series.drawdownPercent, firstLabel: first, lastLabel: last,
                                         format: { HTMLText.number($0, decimals: 1) + "%" }, includeZero: true, stroke: "#cf222e")
        h += "<section id=\"equity\"><h2>Equity curve</h2><figure>\(equityChart.render())<figcaption>"
        h += "capital + cumulative_pnl over \(series.equity.count) days; capital \(e(HTMLText.number(capital))) "
        h += "(\(e(capitalSourceText(resolved)))), "
        h += "final equity \(e(HTMLText.number(series.equity.last ?? capital)))"
        if series.skippedRows > 0 { h += "; \(series.skippedRows) row(s) without a cumulative_pnl left out" }
        h += "</figcaption></figure></section>\n"
        h += "<section id=\"drawdown\"><h2>Drawdown</h2><figure>\(drawdownChart.render())<figcaption>"
        h += "below the running peak, in % of the peak; \(e(drawdownCaption(series)))</figcaption></figure></section>\n"

        // Metrics.
        h += "<section id=\"metrics\"><h2>Metrics</h2>"
        if let summaryTexts, !summaryTexts.isEmpty {
            h += table(header: ["metric", "value"], rows: summaryTexts.map { [$0.name, $0.text] }, numericColumn: 1)
        } else {
            h += "<p class=\"none\">No summary.csv.</p>"
        }
        h += "</section>\n"

        h += "<section id=\"validation\"><h2>Validation</h2>\(validationHTML(validation))</section>\n"

        h += "<section id=\"params\"><h2>Parameters</h2>"
        if case .object(let params)? = record["params"], !params.isEmpty {
            h += table(header: ["name", "value"], rows: params.map { [$0.key, display($0.value)] })
        } else {
            h += "<p class=\"none\">No parameters.</p>"
        }
        if case .array(let args)? = record["args"], !args.isEmpty {
            h += "<p>Extra arguments: <code>\(e(args.map(display).joined(separator: " ")))</code></p>"
        }
        h += "</section>\n"

        h += "<section id=\"provenance\"><h2>Provenance</h2>\(provenanceHTML(metadata))</section>\n"
        h += "<footer>Generated \(e(ISOTime.now())) by backtest-rpc.</footer>\n</body>\n</html>\n"
        return h
    }

    /// The capital for the equity curve: the validator's rule (`Capital`, shared, not copied), so that the
    /// report's drawdown is the one validation measured: the run's params, else results/metadata.json
    /// `parameters`, else `validation.capital`.
    static func capital(record: JSONObject, resultsDir: String, configured: Double) -> Capital {
        Capital.resolve(params: record["params"]?.objectValue ?? [:], resultsDir: resultsDir, configured: configured)
    }

    /// "param capital", "metadata.json parameters.cash", "validation.capital".
    static func capitalSourceText(_ c: Capital) -> String {
        switch c.source {
        case "params": return "param \(c.name ?? "capital")"
        case "metadata.json": return "metadata.json parameters.\(c.name ?? "capital")"
        default: return "validation.capital"
        }
    }

    /// The deepest drawdown in money and the deepest in percent are often different episodes (a loss of
    /// 18,554 from a high peak is a smaller share than 6,000 from a low one): each is named with its day and
    /// the other measure of that same day, so no figure is paired with another episode's.
    static func drawdownCaption(_ s: EquitySeries) -> String {
        guard let m = s.drawdown.indices.min(by: { s.drawdown[$0] < s.drawdown[$1] }),
              let p = s.drawdownPercent.indices.min(by: { s.drawdownPercent[$0] < s.drawdownPercent[$1] }),
              s.drawdown[m] < 0 else { return "no drawdown: equity never fell below its running peak" }
        func money(_ i: Int) -> String { HTMLText.number(s.drawdown[i]) }
        func percent(_ i: Int) -> String { HTMLText.number(s.drawdownPercent[i], decimals: 2) + "%" }
        if m == p || s.drawdownPercent[m] == s.drawdownPercent[p] {
            return "deepest \(money(m)) on \(s.dates[m]) (\(percent(m)) of its peak)"
        }
        return "deepest in money: \(money(m)) on \(s.dates[m]) (\(percent(m)) of its peak); "
            + "deepest in percent: \(percent(p)) on \(s.dates[p]) (\(money(p)))"
    }

    private static func e(_ s: String) -> String { HTMLText.escape(s) }

    /// A JSON value as a person reads it: strings bare, numbers grouped, structures as compact JSON.
    private static func display(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .null: return "–"
        case .int(let i): return HTMLText.number(Double(i), decimals: 0)
        case .double(let d): return d.rounded() == d ? HTMLText.number(d, decimals: 0) : String(d)
        case .number(let n): return n.text
        default: return JSONWriter.string(v, numbersAsWritten: true)
        }
    }

    private static func table(header: [String], rows: [[String]], numericColumn: Int? = nil) -> String {
        var t = "<table><thead><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            t += "<tr>"
            for (i, cell) in row.enumerated() {
                t += i == numericColumn ? "<td class=\"num\">\(e(cell))</td>" : "<td>\(e(cell))</td>"
            }
            t += "</tr>"
        }
        return t + "</tbody></table>"
    }

    /// The validation report, whatever its exact shape: a headline from its status-like member, each list
    /// member (errors, warnings, checks) as a list, and the whole report as JSON for the details.
    private static func validationHTML(_ validation: JSONValue?) -> String {
        guard let validation, !validation.isNull else { return "<p class=\"none\">Not validated.</p>" }
        var h = ""
        if case .object(let o) = validation {
            for key in ["status", "result", "valid", "passed", "ok"] {
                if let v = o[key] {
                    h += "<p class=\"verdict\">\(e(key)): <strong>\(e(display(v)))</strong></p>"
                    break
                }
            }
            for (key, value) in o {
                guard case .array(let items) = value else { continue }
                h += "<h3>\(e(key)) (\(items.count))</h3>"
                if items.isEmpty { continue }
                h += "<ul>"
                for item in items {
                    if case .object(let fields) = item {
                        h += "<li>" + fields.map { "<span class=\"k\">\(e($0.key))</span> \(e(display($0.value)))" }.joined(separator: "; ") + "</li>"
                    } else {
                        h += "<li>\(e(display(item)))</li>"
                    }
                }
                h += "</ul>"
            }
        }
        h += "<details><summary>Full validation report</summary><pre>\(e(String(decoding: JSONWriter.pretty(validation), as: UTF8.self)))</pre></details>"
        return h
    }

    /// The metadata document in readable parts: invocation, environment, git, code, inputs, results.
    private static func provenanceHTML(_ metadata: JSONValue?) -> String {
        guard let m = metadata, case .object = m else { return "<p class=\"none\">No metadata recorded.</p>" }
        var facts: [[String]] = []
        func add(_ label: String, _ v: JSONValue) { if !v.isNull { facts.append([label, display(v)]) } }
        add("started", m["timestamp"])
        add("completed", m["completed_at"])
        add("status", m["status"])
        add("exit code", m["exit_code"])
        add("duration (s)", m["duration_seconds"])
        add("server version", m["server_version"])
        add("rerun of", m["rerun_of"])
        add("interpreter", m["interpreter"]["path"])
        add("interpreter version", m["interpreter"]["version"])
        add("entry point", m["entry_point"])
        if case .array(let argv) = m["argv"] { facts.append(["argv", argv.map(display).joined(separator: " ")]) }
        add("working directory", m["working_directory"])
        add("host", m["host"]["name"])
        add("os", m["host"]["os"])
        add("cores", m["host"]["cores"])
        if case .object(let g) = m["git"] {
            add("git commit", g["commit"] ?? .null)
            add("git branch", g["branch"] ?? .null)
            add("git dirty", g["dirty"] ?? .null)
            add("git diff", g["diff_file"] ?? .null)
        }
        add("code capture", m["code"]["mode"])
        var h = "<table class=\"facts\"><tbody>"
        for f in facts { h += "<tr><th>\(e(f[0]))</th><td>\(e(f[1]))</td></tr>" }
        h += "</tbody></table>"
        if case .object(let env) = m["env_added"], !env.isEmpty {
            h += "<h3>Environment added</h3>" + table(header: ["name", "value"], rows: env.map { [$0.key, display($0.value)] })
        }
        h += fileTable("Captured code", m["code"]["files"])
        h += fileTable("Inputs", m["inputs"])
        h += fileTable("Result files", m["result_files"])
        if case .object(let packages) = m["packages"], !packages.isEmpty {
            h += "<h3>Packages (\(packages.count))</h3>"
                + table(header: ["package", "version"], rows: packages.map { [$0.key, display($0.value)] })
        }
        return h
    }

    private static func fileTable(_ title: String, _ files: JSONValue) -> String {
        guard case .array(let items) = files, !items.isEmpty else { return "" }
        let rows = items.map { [display($0["path"]), display($0["size"]), $0["sha256"].stringValue ?? ""] }
        return "<h3>\(e(title)) (\(items.count))</h3>" + table(header: ["path", "bytes", "sha256"], rows: rows, numericColumn: 1)
    }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:900px;color:#1f2328;padding:0 16px}\
        h1{margin:0}h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}.sub{color:#59636e;margin:4px 0 0}\
        table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}\
        td{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}td.num{text-align:right}\
        .facts th{background:#f6f8fa;white-space:nowrap}figure{margin:0}figcaption{color:#59636e;font-size:12px}\
        svg text{font-size:11px;fill:#59636e}svg .grid{stroke:#eaeef2}svg .zero{stroke:#8c959f;stroke-dasharray:4 3}\
        .none{color:#59636e;font-style:italic}.k{color:#59636e}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}\
        footer{margin-top:32px;color:#59636e;font-size:12px}
        """
}
