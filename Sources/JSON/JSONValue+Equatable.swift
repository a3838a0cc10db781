/// JSON values compare as the plain parser reads them: `.int` and `.double` stay distinct kinds (5 is not
/// 5.0), and a kept literal (`.number`) is equal to, and hashes as, its `value`. So parsing with
/// `keepingNumberText` changes no comparison: `1.50` equals `.double(1.5)`, `-0` equals `.int(0)`.
extension JSONValue: Equatable, Hashable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        case let (.number(x), _): return x.value == b
        case let (_, .number(y)): return a == y.value
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0 as UInt8)
        case .bool(let b): h.combine(1 as UInt8); h.combine(b)
        case .int(let i): h.combine(2 as UInt8); h.combine(i)
        case .double(let d): h.combine(3 as UInt8); h.combine(d)
        case .string(let s): h.combine(4 as UInt8); h.combine(s)
        case .array(let a): h.combine(5 as UInt8); h.combine(a)
        case .object(let o): h.combine(6 as UInt8); h.combine(o)
        case .number(let n): n.value.hash(into: &h)
        }
    }
}
