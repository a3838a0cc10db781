import Glibc

/// At start-up, before anything prints: keeps the real stdout for the protocol writer and points descriptor
/// 1 at stderr, so that a stray `print` anywhere (ours, a library's) lands in the log instead of corrupting
/// the stream. Also ignores SIGPIPE, so a client that goes away makes `write(2)` fail with EPIPE (handled as
/// "client gone") instead of killing the process.
///
/// - Returns: the protocol output descriptor (close-on-exec, so children never inherit it).
public func takeOverStdout() -> Int32 {
    signal(SIGPIPE, SIG_IGN)
    let protocolFD = fcntl(1, F_DUPFD_CLOEXEC, 3)
    precondition(protocolFD >= 0, "cannot duplicate stdout: errno \(errno)")
    _ = dup2(2, 1)
    // Anything stdio buffered before now belongs to the log: flush it after the switch, into stderr.
    // (fflush(nil) flushes every stdio stream; naming `stdout` is not concurrency-safe in Swift 6.)
    fflush(nil)
    return protocolFD
}
