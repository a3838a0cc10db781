import Base

/// What every check of one file records first, for the per-file table (`FileCheck`): whether the file is
/// there and its size, and the finding when it is not.
protocol FileFacts {
    var findings: FindingList { get set }
    var exists: Bool { get set }
    var size: Int64 { get set }
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
