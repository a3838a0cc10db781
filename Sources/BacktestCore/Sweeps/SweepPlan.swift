import Base
import JSON

/// Which param sets a sweep runs: `grid`, the cartesian product of each param's values (the first param
/// outermost, the last varying fastest, as given); `paramSets`, an explicit list; both, each set of the list
/// crossed with the grid; `sample`, n sets of the grid drawn at random, the same n for the same seed.
/// `fixed` params go into every set.
public struct SweepPlan: Sendable {
    public var grid: [(name: String, values: [JSONValue])]
    public var paramSets: [JSONObject]?
    public var sample: (n: Int, seed: UInt64)?
    public var fixed: JSONObject

    /// More sets than this is refused: a sweep's record and its runs are made at once, and a typo in a grid
    /// (a range of 10,000 where 100 was meant) should fail fast rather than fill the disk.
    public static let maxSets = 100_000

    public init(grid: [(name: String, values: [JSONValue])] = [], paramSets: [JSONObject]? = nil,
                sample: (n: Int, seed: UInt64)? = nil, fixed: JSONObject = [:]) {
        self.grid = grid; self.paramSets = paramSets; self.sample = sample; self.fixed = fixed
    }

    /// Every set, in run order.
    public func expand() throws(CoreError) -> [JSONObject] {
        for (name, values) in grid where values.isEmpty {
            throw .invalidArgument(field: "grid." + name, reason: "has no values")
        }
        let lists = paramSets ?? [[:]]
        if lists.isEmpty { throw .invalidArgument(field: "param_sets", reason: "is empty") }
        let combos = try gridIndices()
        let total = lists.count.multipliedReportingOverflow(by: combos.count)
        guard !total.overflow, total.partialValue <= Self.maxSets else {
            throw .invalidArgument(field: "grid", reason: "makes more than \(Self.maxSets) param sets; sweep a smaller grid or use sample")
        }
        var out: [JSONObject] = []
        out.reserveCapacity(total.partialValue)
        for listed in lists {
            for i in combos { out.append(try merged(listed, combination(i))) }
        }
        return out
    }

    /// Indices into the grid's product: all of them, or the sample's, ascending.
    private func gridIndices() throws(CoreError) -> [Int] {
        var size = 1
        for (_, values) in grid {
            let m = size.multipliedReportingOverflow(by: values.count)
            guard !m.overflow, m.partialValue <= Int(Int32.max) else {
                throw .invalidArgument(field: "grid", reason: "has more combinations than can be swept; use sample")
            }
            size = m.partialValue
        }
        guard let (n, seed) = sample else {
            guard size <= Self.maxSets else {
                throw .invalidArgument(field: "grid", reason: "makes \(size) param sets, more than \(Self.maxSets); use sample")
            }
            return Array(0..<size)
        }
        guard n > 0 else { throw .invalidArgument(field: "sample.n", reason: "must be at least 1") }
        return SeededSample.indices(n: min(n, size), of: size, seed: seed)
    }

    /// The grid's combination number `index` (mixed radix, the last param the fastest digit).
    private func combination(_ index: Int) -> [(String, JSONValue)] {
        var rest = index
        var out: [(String, JSONValue)] = Array(repeating: ("", .null), count: grid.count)
        for k in stride(from: grid.count - 1, through: 0, by: -1) {
            let values = grid[k].values
            out[k] = (grid[k].name, values[rest % values.count])
            rest /= values.count
        }
        return out
    }

    /// `fixed`, then the listed set, then the grid's values; one name from two places is refused (which
    /// should win is a guess the user should not have to look up).
    private func merged(_ listed: JSONObject, _ combo: [(String, JSONValue)]) throws(CoreError) -> JSONObject {
        var set = fixed
        for (name, value) in listed {
            if set[name] != nil { throw .invalidArgument(field: "param_sets", reason: "\(name) is also in params") }
            set.appendUnchecked(name, value)
        }
        for (name, value) in combo {
            if set[name] != nil { throw .invalidArgument(field: "grid." + name, reason: "\(name) is also in params or param_sets") }
            set.appendUnchecked(name, value)
        }
        return set
    }
}

/// n distinct numbers of 0..<size drawn with SplitMix64 from a seed (Floyd's algorithm: no list of all
/// `size` numbers is made), sorted. The same seed gives the same draw on every machine and version.
enum SeededSample {
    static func indices(n: Int, of size: Int, seed: UInt64) -> [Int] {
        var random = SplitMix64(seed: seed)
        var chosen = Set<Int>()
        for j in (size - n)..<size {
            let t = random.below(j + 1)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        return chosen.sorted()
    }
}
