/// Number formatting for messages: money with two decimals as the files write it (`-487.12`), without
/// Foundation's locale-dependent formatters.
func formatAmount(_ x: Double) -> String { formatFixed(x, decimals: 2) }

/// `x` with a fixed number of decimals (0–6); falls back to Swift's shortest form for huge or non-finite values.
func formatFixed(_ x: Double, decimals: Int) -> String {
    guard x.isFinite, abs(x) < 1e15 else { return x.description }
    var scale: Int64 = 1
    for _ in 0..<decimals { scale *= 10 }
    let n = Int64((abs(x) * Double(scale)).rounded())
    let whole = n / scale, frac = n % scale
    var s = (x < 0 && n != 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let f = String(frac)
        s += "." + String(repeating: "0", count: decimals - f.count) + f
    }
    return s
}

/// A value from a file for a message: quoted, and cut short if long.
func quoteValue(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    let s = String(decoding: bytes.prefix(60), as: UTF8.self)
    return "\"\(s)\(bytes.count > 60 ? "…" : "")\""
}

func quoteValue(_ s: String) -> String {
    s.count > 60 ? "\"\(s.prefix(60))…\"" : "\"\(s)\""
}

/// A config number as people write it: `1` rather than `1.0`, `0.25` as is.
func formatNumber(_ x: Double) -> String {
    if x.isFinite && x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
    return x.description
}
