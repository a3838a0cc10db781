import Base

/// What every check of one file records first, for the per-file table (`FileCheck`): whether the file is
/// there and its size, and the finding when it is not; and how far it was read.
protocol FileFacts {
    var findings: FindingList { get set }
    var read: FileRead { get set }
}

/// The facts every file check keeps the same way, in one place.
struct FileRead: Sendable {
    var exists = false
    var size: Int64 = 0
    /// The header's names, for a CSV read that far.
    var columns: [String]?
    var rows = 0
    /// Read to the end without a format error (rows and sums are then complete).
    var complete = false
    /// Stopped because the validation was cancelled.
    var cancelled = false
}

extension FileFacts {
    var exists: Bool { get { read.exists } set { read.exists = newValue } }
    var size: Int64 { get { read.size } set { read.size = newValue } }
    var columns: [String]? { get { read.columns } set { read.columns = newValue } }
    var rows: Int { get { read.rows } set { read.rows = newValue } }
    var complete: Bool { get { read.complete } set { read.complete = newValue } }
    var cancelled: Bool { get { read.cancelled } set { read.cancelled = newValue } }
}

extension FileFacts {
    /// Looks at the file at `path` (following symlinks) before it is read: when it is there and is no
    /// directory, records that it exists and its size and returns true; else adds the `missing` finding, if
    /// one is given, and returns false.
    mutating func lookAt(_ path: String, missing: (rule: String, text: String)?) -> Bool {
        guard let fingerprint = FileSystem.fingerprint(path), !FileSystem.isDirectory(path) else {
            if let missing { findings.add(missing.rule, missing.text) }
            return false
        }
        exists = true
        size = fingerprint.size
        return true
    }
}

extension FileFacts {
    /// A CSV row whose number of fields is not the header's: the finding `rule` on its line.
    mutating func checkFieldCount(_ n: Int, header: Int, line: Int, rule: String) {
        if n != header { findings.add(rule, line: line, "has \(n) field\(n == 1 ? "" : "s"), the header has \(header)") }
    }
}
