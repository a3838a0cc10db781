/// Text made safe for HTML, and the number formats a report shows.
enum HTMLText {
    /// Escapes `& < > " '`, which covers element content and quoted attribute values alike. Everything
    /// that comes from a run (names, params, paths, validation messages) goes through here: a parameter
    /// value like `<script>` must show as text, not run.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// `1234567.891` → `1,234,567.89` (with `decimals` digits): money and metric values in tables and labels.
    static func number(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return String(value) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let fraction = units % UInt64(scale)
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        var out = (value < 0 && units > 0 ? "-" : "") + grouped
        if decimals > 0 {
            let f = String(fraction)
            out += "." + String(repeating: "0", count: decimals - f.count) + f
        }
        return out
    }

    /// A coordinate with one decimal, no grouping: what SVG path data needs, and short.
    static func coordinate(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let m = abs(tenths)
        return m % 10 == 0 ? sign + String(m / 10) : sign + String(m / 10) + "." + String(m % 10)
    }
}
