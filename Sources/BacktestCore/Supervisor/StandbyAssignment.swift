import Base
import CSystem
import Glibc

/// What a standby supervisor receives: the run directory, with the slot lock and the run lock attached.
enum StandbyAssignment {
    /// Waits for the assignment on `socket`, then puts the locks where a launched supervisor finds them
    /// (descriptors 3 and 4) and returns the run directory. Nil when the server went away first.
    static func receive(socket: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 4096)
        var fds: [Int32] = [-1, -1]
        var count: Int32 = 0
        let n = buf.withUnsafeMutableBytes { b in
            fds.withUnsafeMutableBufferPointer { f in csys_recv_with_fds(socket, b.baseAddress, b.count, f.baseAddress, 2, &count) }
        }
        StepTrace.mark("supervisor: run received")
        guard n > 0, count == 2 else {
            close(socket)
            for i in 0..<Int(count) { close(fds[i]) }
            return nil
        }
        // Out of the way first (a received descriptor may be 3 or 4), then into place. dup2 replaces what
        // is there in one step (the socket at 3, a placeholder at 4): closing it first would free the
        // number for whatever another thread (the warm-up) opens next, and dup2 would then close that.
        let slot = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), lock = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
        close(fds[0]); close(fds[1])
        dup2(slot, SupervisorCommand.slotLockFD)
        dup2(lock, SupervisorCommand.runLockFD)
        close(slot); close(lock)
        if socket != SupervisorCommand.slotLockFD && socket != SupervisorCommand.runLockFD { close(socket) }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}
