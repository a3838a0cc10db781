/// An inline SVG line chart: one `<path>` for the series, a few grid lines and text labels. Inline SVG keeps
/// the report a single file that any browser draws with no network and no script.
struct SVGLineChart {
    var title: String
    var values: [Double]
    /// Labels under the first and last point (dates).
    var firstLabel: String
    var lastLabel: String
    /// How a y value is shown on the axis.
    var format: (Double) -> String
    /// Always include zero in the y range (drawdown charts sit below it).
    var includeZero = false
    var stroke = "#1f6feb"

    static let width = 760.0
    static let height = 240.0
    static let left = 92.0, right = 12.0, top = 12.0, bottom = 28.0
    /// More points than this are thinned to each bucket's minimum and maximum: a path of a million points
    /// would make a huge file and show nothing more at this width.
    static let maxPoints = 2000

    func render() -> String {
        let points = Self.thin(values, to: Self.maxPoints)
        var lo = points.min() ?? 0, hi = points.max() ?? 0
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        if hi == lo { hi += 1; lo -= 1 }
        let plotW = Self.width - Self.left - Self.right
        let plotH = Self.height - Self.top - Self.bottom
        func x(_ i: Int) -> Double { Self.left + (points.count > 1 ? Double(i) / Double(points.count - 1) * plotW : plotW / 2) }
        func y(_ v: Double) -> Double { Self.top + (hi - v) / (hi - lo) * plotH }

        var d = ""
        d.reserveCapacity(points.count * 14)
        for (i, v) in points.enumerated() {
            d += (i == 0 ? "M" : " L") + HTMLText.coordinate(x(i)) + " " + HTMLText.coordinate(y(v))
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" "
        svg += "width=\"100%\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        svg += "<title>\(HTMLText.escape(title))</title>"
        // Three horizontal grid lines with their values: top, middle, bottom.
        for fraction in [0.0, 0.5, 1.0] {
            let v = hi - (hi - lo) * fraction
            let gy = HTMLText.coordinate(y(v))
            svg += "<line x1=\"\(Int(Self.left))\" y1=\"\(gy)\" x2=\"\(Int(Self.width - Self.right))\" y2=\"\(gy)\" class=\"grid\"/>"
            svg += "<text x=\"\(Int(Self.left - 6))\" y=\"\(gy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(HTMLText.escape(format(v)))</text>"
        }
        if includeZero && lo < 0 && hi > 0 {
            let zy = HTMLText.coordinate(y(0))
            svg += "<line x1=\"\(Int(Self.left))\" y1=\"\(zy)\" x2=\"\(Int(Self.width - Self.right))\" y2=\"\(zy)\" class=\"zero\"/>"
        }
        let labelY = Int(Self.height - 8)
        svg += "<text x=\"\(Int(Self.left))\" y=\"\(labelY)\">\(HTMLText.escape(firstLabel))</text>"
        svg += "<text x=\"\(Int(Self.width - Self.right))\" y=\"\(labelY)\" text-anchor=\"end\">\(HTMLText.escape(lastLabel))</text>"
        svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>"
        svg += "</svg>"
        return svg
    }

    /// Keeps at most `limit` points: per bucket the minimum and the maximum, in their original order, so
    /// spikes (the deepest drawdown) survive thinning.
    static func thin(_ values: [Double], to limit: Int) -> [Double] {
        guard values.count > limit, limit >= 2 else { return values }
        let buckets = limit / 2
        var out: [Double] = []
        out.reserveCapacity(limit)
        for b in 0..<buckets {
            let start = b * values.count / buckets
            let end = (b + 1) * values.count / buckets
            guard start < end else { continue }
            var minIndex = start, maxIndex = start
            for i in start..<end {
                if values[i] < values[minIndex] { minIndex = i }
                if values[i] > values[maxIndex] { maxIndex = i }
            }
            if minIndex == maxIndex { out.append(values[minIndex]) }
            else if minIndex < maxIndex { out.append(values[minIndex]); out.append(values[maxIndex]) }
            else { out.append(values[maxIndex]); out.append(values[minIndex]) }
        }
        return out
    }
}
