import Base
import Glibc
import Synchronization

/// Hands out run ids, `YYYYMMDD_HHMMSS_mmm` in UTC, by creating the run's directory: mkdir is atomic, so
/// two threads or two processes can never get the same id. On a clash the id gets a suffix `_001`, `_002`,
/// ... (three digits, so that ids of one millisecond still sort in creation order).
///
/// Ids sort in creation order: an allocator remembers the last id it issued, so a later submission never
/// gets a smaller id even within one millisecond or when the clock steps back; between allocators (other
/// processes, or another Workspace on the same dir) the clash on mkdir orders them. One allocator per runs
/// dir, owned by the Workspace: one workspace's clock oddities (or a test's made-up times) never shift
/// another's ids.
final class RunIDAllocator: Sendable {
    let runsDir: String
    /// The last id issued: its millisecond and suffix.
    private let last = Mutex<(millis: Int64, suffix: Int)>((0, -1))

    /// Largest suffix before moving on to the next millisecond (keeps suffixes at three digits).
    static let maxSuffix = 999

    init(runsDir: String) { self.runsDir = runsDir }

    /// Creates `<runsDir>/<id>/` and returns the id and the millisecond it names.
    func allocate(now: Int64 = ISOTime.nowMillis()) throws(CoreError) -> (id: String, millis: Int64) {
        // Holding the mutex across mkdir serialises this allocator's ids, which is what makes them ordered;
        // mkdir takes microseconds.
        let result: Result<(String, Int64), CoreError> = last.withLock { last in
            var millis = now
            var suffix = 0
            if millis <= last.millis {
                millis = last.millis
                suffix = last.suffix + 1
            }
            while true {
                if suffix > Self.maxSuffix { millis += 1; suffix = 0 }
                let id = Self.name(millis: millis, suffix: suffix)
                if mkdir(runsDir + "/" + id, 0o755) == 0 {
                    last = (millis, suffix)
                    return .success((id, millis))
                }
                guard errno == EEXIST else {
                    return .failure(.workspace(path: runsDir + "/" + id, reason: "cannot create the run directory: \(errnoText())"))
                }
                suffix += 1
            }
        }
        return try result.get()
    }

    /// The id for a millisecond and a clash suffix.
    static func name(millis: Int64, suffix: Int) -> String {
        let stem = ISOTime.runIDStem(millis: millis)
        guard suffix > 0 else { return stem }
        let digits = String(suffix)
        return stem + "_" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
