/// A JSON object that keeps its members in insertion order, so that what we write reads the way it was
/// built (run_id first, not wherever a hash table puts it). Objects in this protocol are small, so lookup
/// is a linear scan; that is faster than hashing for a dozen keys.
public struct JSONObject: Sendable, Equatable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var pairs: [(key: String, value: JSONValue)]

    public init() { pairs = [] }

    public init(pairs: [(String, JSONValue)]) {
        self.pairs = []
        self.pairs.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(pairs: elements) }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }
    public var keys: [String] { pairs.map(\.key) }

    /// Get or set a member; setting nil removes it, setting an existing key replaces it in place.
    public subscript(key: String) -> JSONValue? {
        get {
            for p in pairs where p.key == key { return p.value }
            return nil
        }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }

    /// Appends without checking for an existing key: for the parser and for builders that know keys are new.
    public mutating func appendUnchecked(_ key: String, _ value: JSONValue) { pairs.append((key, value)) }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> { pairs.makeIterator() }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for (k, v) in a.pairs where b[k] != v { return false }
        return true
    }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for (k, _) in pairs.sorted(by: { $0.key < $1.key }) { h.combine(k) }
    }
}
