import CSystem
import Glibc

/// How a cancel reaches a running run's supervisor: SIGTERM with the run's token attached (sigqueue).
/// A supervisor takes the next queued run itself when one ends, so a cancel sent for the run that just
/// ended could otherwise land on the next one; the token lets the supervisor tell them apart.
enum CancelSignal {
    /// A nonzero number for the run (FNV-1a of its id, folded to 31 bits). Two runs in a row of one
    /// supervisor sharing one is a 1-in-2^31 chance, and would cost only what a plain kill costs today.
    static func token(runID: String) -> Int32 {
        var h: UInt32 = 2_166_136_261
        for b in runID.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int32(bitPattern: h & 0x7fff_ffff) | 1
    }

    /// Sends the cancel for `runID` to its supervisor.
    static func send(to pid: pid_t, runID: String) {
        _ = csys_sigqueue(pid, SIGTERM, token(runID: runID))
    }
}
