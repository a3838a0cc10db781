/// The ids of the last answered requests, so that a `$/cancelRequest` arriving just after the answer (they
/// cross on the wire all the time) is recognised as late rather than reported as unknown.
struct RecentRequestIDs {
    private var ring: [RequestID?]
    private var members: Set<RequestID> = []
    private var next = 0

    init(capacity: Int = 1024) { ring = Array(repeating: nil, count: capacity) }

    mutating func insert(_ id: RequestID) {
        if members.contains(id) { return }
        if let old = ring[next] { members.remove(old) }
        ring[next] = id
        members.insert(id)
        next = (next + 1) % ring.count
    }

    func contains(_ id: RequestID) -> Bool { members.contains(id) }
}
