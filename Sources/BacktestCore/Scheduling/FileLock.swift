import Glibc

/// An open lock file and the `flock` it may hold. flock locks belong to the open file description, so a
/// child that inherits the descriptor holds the lock too (that is how a supervisor inherits its slot and run
/// locks), and the kernel drops the lock the moment the last holder dies, even by SIGKILL. Every lock file is
/// opened with O_CLOEXEC so that no unrelated child (a script, an interpreter probe) keeps one by accident.
final class FileLock {
    /// The descriptor; -1 once closed.
    private(set) var fd: Int32

    /// Opens the lock file without locking it, creating it unless `create` is false. nil when it cannot be
    /// opened (run dir gone). Another run's lock is opened with `create: false`: its directory may be being
    /// deleted, and a lock file made in it between the removal of its files and of the directory would leave
    /// the directory behind.
    init?(path: String, create: Bool = true) {
        let fd = open(path, O_RDWR | (create ? O_CREAT : 0) | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    /// Takes the exclusive lock without waiting; false when another open file holds it.
    func tryLock() -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Takes the exclusive lock, waiting for the holder. For the scheduler lock, which is held briefly.
    func lock() {
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    /// Closes our descriptor now. The lock is released unless a child inherited a copy of it, which then
    /// holds it alone (how the locks are handed to a supervisor).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }
}

extension FileLock {
    /// Opens and locks without waiting in one step: nil when the file cannot be opened or is locked.
    static func tryAcquire(_ path: String) -> FileLock? {
        guard let l = FileLock(path: path), l.tryLock() else { return nil }
        return l
    }
}
