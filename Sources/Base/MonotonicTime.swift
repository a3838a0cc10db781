import Glibc

/// Seconds on the monotonic clock, for deadlines (timeouts, grace periods, a helper command's time limit)
/// that must not jump when the wall clock is set.
package enum MonotonicTime {
    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Sleeps the whole time, resuming after a signal interrupts it.
    package static func sleep(_ seconds: Double) {
        var ts = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }
}
