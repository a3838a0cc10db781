import Glibc

/// One event read from an inotify instance.
package struct InotifyEvent {
    package let wd: Int32
    package let mask: UInt32
    /// The entry's name in the watched directory, NUL-padded (empty for an event on the directory itself).
    package let nameBytes: ArraySlice<UInt8>

    package var name: String { String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self) }
}

/// Reads an inotify instance's pending events: the kernel's packed records (a header, then the padded name)
/// taken apart in one place for every watcher of the process (followers, the working dir's watch, the early
/// end's watcher).
package enum InotifyEvents {
    /// Calls `each` for every event pending on `fd` (non-blocking), in order, until none is left or `each`
    /// returns false.
    package static func read(_ fd: Int32, bufferSize: Int = 16384, _ each: (InotifyEvent) -> Bool) {
        var buf = [UInt8](repeating: 0, count: bufferSize)
        let header = MemoryLayout<inotify_event>.size
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            var off = 0
            while off + header <= n {
                let (wd, mask, len) = buf.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let e = raw.loadUnaligned(fromByteOffset: off, as: inotify_event.self)
                    return (e.wd, e.mask, Int(e.len))
                }
                let event = InotifyEvent(wd: wd, mask: mask, nameBytes: buf[(off + header)..<min(n, off + header + len)])
                off += header + len
                guard each(event) else { return }
            }
        }
    }
}
