import Base
import Glibc

/// The workspace's result cache: `<state>/cache/<key>` holds the id of the completed run whose results that
/// key stands for. An entry is only a pointer: it is believed only while that run still exists, is completed
/// and carries the same key, so a deleted or damaged run is never answered from (and its entry is dropped).
struct ResultCache: Sendable {
    let layout: WorkspaceLayout
    let store: RunStore

    /// The completed run with `key`, if there is one.
    func lookup(_ key: String) -> RunRecord? {
        guard let bytes = AtomicFile.read(entry(key)) else { return nil }
        let runID = String(decoding: bytes, as: UTF8.self).trimmingSpaces()
        guard let r = try? store.load(runID: runID) else {
            unlink(entry(key))
            return nil
        }
        // Written just before its run's final record: until that lands, the entry is not believed (nor dropped).
        guard r.status.isTerminal else { return nil }
        guard r.status == .completed, r.cacheKey == key else {
            unlink(entry(key))
            return nil
        }
        return r
    }

    /// Makes `record` (completed, with a key) its key's entry: always when it ran with `refresh`, else only when
    /// no usable entry is there (the first completed run of a key stays its answer). Called by the supervisor
    /// just before the run's final record is saved.
    func remember(_ record: RunRecord, replacing: Bool) {
        guard record.status == .completed, let key = record.cacheKey, record.cachedFrom == nil else { return }
        if !replacing, lookup(key) != nil { return }
        try? FileSystem.makeDirectories(layout.cacheDir)
        try? AtomicFile.write(Array(record.runID.utf8), to: entry(key))
    }

    /// Drops the entry of a run that is going away.
    func forget(_ record: RunRecord) {
        guard let key = record.cacheKey, let bytes = AtomicFile.read(entry(key)),
              String(decoding: bytes, as: UTF8.self).trimmingSpaces() == record.runID else { return }
        unlink(entry(key))
    }

    private func entry(_ key: String) -> String { layout.cacheDir + "/" + key }

    /// Gives `to` the file `from` (a run's result, its log): a hard link, so a cached run costs no space and
    /// its files are the very bytes that were validated; a copy where links fail (another file system).
    static func linkFile(from: String, to: String) throws(FileError) {
        try FileSystem.makeDirectories(PathText.parent(to))
        if link(from, to) == 0 { return }
        guard let bytes = AtomicFile.read(from) else { throw FileError(operation: "read", path: from, code: errno) }
        try AtomicFile.write(bytes, to: to)
    }
}
