import JSON
import Provenance
import TestSupport
import XCTest

@testable import Reporting

final class HTMLReportTests: XCTestCase {
    /// Parses HTML with Python's html.parser and checks that every element is closed in order; prints a
    /// JSON summary of what it saw.
    private static let checker = #"""
    import sys, json
    from html.parser import HTMLParser
    VOID = {"area","base","br","col","embed","hr","img","input","link","meta","source","track","wbr"}
    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.stack, self.errors, self.tags, self.paths_per_svg, self.external = [], [], {}, [], []
            self.path_bounds = []
        def handle_starttag(self, tag, attrs):
            self.tags[tag] = self.tags.get(tag, 0) + 1
            for k, v in attrs:
                if k in ("src", "href") and v and not v.startswith("#"): self.external.append(v)
            if tag == "svg": self.paths_per_svg.append(0)
            if tag == "path" and self.paths_per_svg: self.paths_per_svg[-1] += 1
            if tag == "path": self.bounds(dict(attrs).get("d", ""))
            if tag not in VOID: self.stack.append(tag)
        def handle_startendtag(self, tag, attrs):
            self.tags[tag] = self.tags.get(tag, 0) + 1
            if tag == "path" and self.paths_per_svg: self.paths_per_svg[-1] += 1
            if tag == "path": self.bounds(dict(attrs).get("d", ""))
        def bounds(self, d):
            nums = [float(t) for t in d.replace("M", " ").replace("L", " ").split()]
            xs, ys = nums[0::2], nums[1::2]
            self.path_bounds.append([min(xs), max(xs), min(ys), max(ys), len(xs)])
        def handle_endtag(self, tag):
            if tag in VOID: return
            if not self.stack or self.stack[-1] != tag:
                self.errors.append("unexpected </%s> with open %s at %s" % (tag, self.stack[-3:], self.getpos()))
            else:
                self.stack.pop()
    p = P()
    p.feed(open(sys.argv[1], encoding="utf-8").read())
    p.close()
    if p.stack: p.errors.append("unclosed: %s" % p.stack)
    print(json.dumps({"errors": p.errors, "tags": p.tags, "paths_per_svg": p.paths_per_svg, "external": p.external,
                      "path_bounds": p.path_bounds}))
    """#

    private func check(_ html: String) throws -> JSONValue {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write(html, to: dir + "/report.html")
        TestFiles.write(Self.checker, to: dir + "/check.py")
        return try JSONParser.parse(TestFiles.sh("python3 '\(dir)/check.py' '\(dir)/report.html'"))
    }

    private func outputs() -> String {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.sh("python3 '\(TestPaths.fixtures)/make_outputs.py' '\(dir)/results' --trades 300 --days 120 --quiet")
        return dir + "/results"
    }

    func testReportIsWellFormedSelfContainedWithAPathPerChart() throws {
        let results = outputs()
        let record: JSONObject = [
            "run_id": "20261121_101319_123", "script": "strategy.py", "status": "completed",
            "params": ["capital": 1_000_000, "label": "<script>alert('x')</script>"],
        ]
        let validation: JSONValue = ["status": "passed", "errors": [], "warnings": [["file": "trades.csv", "message": "pnl < -10000 & more"]]]
        let metadata: JSONValue = [
            "backtest_id": "20261121_101319_123", "timestamp": "2026-11-21T10:13:19.123Z",
            "interpreter": ["path": "/usr/bin/python3.11", "version": "3.11.7"], "entry_point": "strategy.py",
            "git": ["commit": "abc", "branch": "main", "dirty": true, "diff_file": "code/git.diff"],
            "code": ["mode": "imports", "files": [["path": "strategy.py", "size": 10, "sha256": "00ff"]]],
            "env_added": ["API_KEY": "***"], "result_files": [["path": "pnl.csv", "size": 5, "sha256": "aa"]],
        ]
        let html = try HTMLReport.render(record: record, pnlCSVPath: results + "/pnl.csv", summaryCSVPath: results + "/summary.csv",
                                         validation: validation, metadata: metadata)
        let seen = try check(html)
        XCTAssertEqual(seen["errors"], [], "\(seen)")
        XCTAssertEqual(seen["paths_per_svg"], [1, 1])
        // Each path has a point per day and spans the plot area (x 92…748, y 12…212) from edge to edge.
        for bounds in seen["path_bounds"].arrayValue ?? [] {
            XCTAssertEqual(bounds.arrayValue?.map { $0.doubleValue ?? -1 }[0], 92)
            XCTAssertEqual(bounds.arrayValue?.map { $0.doubleValue ?? -1 }[1], 748)
            XCTAssertGreaterThanOrEqual(bounds.arrayValue?[2].doubleValue ?? -1, 12)
            XCTAssertLessThanOrEqual(bounds.arrayValue?[3].doubleValue ?? 999, 212)
            XCTAssertEqual(bounds.arrayValue?[4], 120)
        }
        XCTAssertEqual(seen["path_bounds"].arrayValue?.count, 2)
        XCTAssertTrue(html.contains("<td class=\"num\">\(String(TestFiles.read(results + "/summary.csv")!.split(separator: "\n")[1].split(separator: ",")[1]))</td>"))
        XCTAssertEqual(seen["external"], [])
        XCTAssertEqual(seen["tags"]["script"], .null)
        XCTAssertEqual(seen["tags"]["link"], .null)
        // Everything from the run is escaped.
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("pnl &lt; -10000 &amp; more"))
        // Metrics, validation, params and provenance are all there.
        for needle in ["total_pnl", "max_drawdown", "passed", "3.11.7", "code/git.diff", "API_KEY", "strategy.py", "00ff"] {
            XCTAssertTrue(html.contains(needle), needle)
        }
    }

    func testTheCheckerCatchesBrokenHTML() throws {
        let seen = try check("<html><body><div><p>x</div></body></html>")
        XCTAssertNotEqual(seen["errors"], [])
        XCTAssertEqual(try check("<html><body><svg><path d=\"M0 0\"/></svg></body></html>")["paths_per_svg"], [1])
    }

    func testEquityAndDrawdownValues() throws {
        let dir = TestFiles.makeTempDir(self)
        TestFiles.write("date,pnl,cumulative_pnl\n2024-01-01,100,100\n2024-01-02,-300,-200\n2024-01-03,50,-150\n2024-01-04,400,250\n2024-01-05,0,\n",
                          to: dir + "/pnl.csv")
        let series = try EquitySeries(pnlCSVPath: dir + "/pnl.csv", capital: 1000)
        XCTAssertEqual(series.equity, [1100, 800, 850, 1250])
        XCTAssertEqual(series.drawdown, [0, -300, -250, 0])
        XCTAssertEqual(series.skippedRows, 1)
        let html = try HTMLReport.render(record: ["run_id": "r", "params": ["capital": 1000]], pnlCSVPath: dir + "/pnl.csv",
                                         summaryCSVPath: nil, validation: nil, metadata: nil)
        XCTAssertTrue(html.contains("deepest -300.00"), html)
        XCTAssertTrue(html.contains("Not validated."))
        XCTAssertTrue(html.contains("No metadata recorded."))
        XCTAssertEqual(try check(html)["errors"], [])
    }

    func testMissingOrBadPnLThrows() {
        let dir = TestFiles.makeTempDir(self)
        XCTAssertThrowsError(try HTMLReport.render(record: [:], pnlCSVPath: dir + "/pnl.csv", summaryCSVPath: nil, validation: nil, metadata: nil)) {
            XCTAssertEqual($0 as? ProvenanceError, .missingFile(path: dir + "/pnl.csv"))
        }
        TestFiles.write("a,b\n1,2\n", to: dir + "/bad.csv")
        XCTAssertThrowsError(try HTMLReport.render(record: [:], pnlCSVPath: dir + "/bad.csv", summaryCSVPath: nil, validation: nil, metadata: nil))
    }

    /// The report's capital is the validator's (`Capital`): params (capital, cash, initial_capital,
    /// starting_cash, in that order), else results/metadata.json `parameters` (same names), else the config.
    func testCapitalIsTheValidatorsRule() {
        let dir = TestFiles.makeTempDir(self)
        func capital(_ params: JSONObject) -> (Double, String, String?) {
            let c = HTMLReport.capital(record: ["params": .object(params)], resultsDir: dir, configured: 777)
            return (c.value, c.source, c.name)
        }
        XCTAssertTrue(capital([:]) == (777, "config", nil))
        TestFiles.write(#"{"parameters": {"starting_cash": 9, "initial_capital": 8}, "execution_timestamp": "x"}"#,
                          to: dir + "/metadata.json")
        XCTAssertTrue(capital([:]) == (8, "metadata.json", "initial_capital"))
        XCTAssertTrue(capital(["starting_cash": 4, "cash": "3"]) == (3, "params", "cash"))
        XCTAssertTrue(capital(["capital": 5, "cash": 3]) == (5, "params", "capital"))
        XCTAssertTrue(capital(["capital": -1]) == (8, "metadata.json", "initial_capital"), "only a positive number counts")
    }

    /// Deepest in money and deepest in percent are different episodes here: each is named with its own day.
    func testDrawdownCaptionNamesEachEpisode() throws {
        let dir = TestFiles.makeTempDir(self)
        // capital 1000: peak 1000 → 700 (-300, -30%) on 01-02; peak 3000 → 2500 (-500, -16.67%) on 01-04.
        TestFiles.write("date,pnl,cumulative_pnl\n2024-01-01,0,0\n2024-01-02,-300,-300\n2024-01-03,2300,2000\n2024-01-04,-500,1500\n",
                          to: dir + "/pnl.csv")
        let html = try HTMLReport.render(record: ["run_id": "r", "params": ["capital": 1000]], pnlCSVPath: dir + "/pnl.csv",
                                         summaryCSVPath: nil, validation: nil, metadata: nil)
        XCTAssertTrue(html.contains("deepest in money: -500.00 on 2024-01-04 (-16.67% of its peak); "
                                    + "deepest in percent: -30.00% on 2024-01-02 (-300.00)"), html)
        XCTAssertTrue(html.contains("capital 1,000.00 (param capital)"), html)
    }

    func testThinningKeepsExtremes() {
        var values = (0..<100_000).map { Double($0 % 100) }
        values[54_321] = -5_000
        let thin = SVGLineChart.thin(values, to: 2000)
        XCTAssertLessThanOrEqual(thin.count, 2000)
        XCTAssertEqual(thin.min(), -5_000)
        XCTAssertEqual(thin.max(), 99)
    }

    func testNumberFormatting() {
        XCTAssertEqual(HTMLText.number(1_234_567.891), "1,234,567.89")
        XCTAssertEqual(HTMLText.number(-0.004), "0.00")
        XCTAssertEqual(HTMLText.number(-487.1), "-487.10")
        XCTAssertEqual(HTMLText.number(999.999, decimals: 0), "1,000")
        XCTAssertEqual(HTMLText.coordinate(12.34), "12.3")
        XCTAssertEqual(HTMLText.coordinate(-3.0), "-3")
    }
}
