import Base
import Glibc
import JSON

/// Disk space set aside in a run's directory (`.record.reserve`) when its script starts, so that the run's
/// final record lands even if the disk fills up meanwhile: without it, a full disk would leave `run.json`
/// saying running after the supervisor is gone, and the exit code would be lost with it.
///
/// The final record is saved the normal way when it can be; when that fails, its bytes are written into the
/// reserve's blocks and the reserve is renamed over `run.json` (`AtomicFile.commit`). Either way the reserve
/// is gone afterwards. A supervisor that dies leaves it behind for the process that ends the run as
/// interrupted (`InterruptionCheck`), which saves that record the same way.
enum RecordReserve {
    /// Far more than any final record needs (a few KB, tens with a large validation report); what is left
    /// over is given back before the index is updated, which then has room too.
    static let size = 256 * 1024

    static func path(_ paths: RunPaths) -> String { paths.runDir + "/.record.reserve" }

    /// Allocates the reserve. Returns why it could not be made, or nil.
    static func make(_ paths: RunPaths) -> String? {
        let file = path(paths)
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return LogLoss.reason(errno) }
        defer { close(fd) }
        // posix_fallocate writes zeros itself where the file system cannot allocate without writing.
        let rc = posix_fallocate(fd, 0, off_t(size))
        guard rc == 0 else {
            unlink(file)
            return LogLoss.reason(rc)
        }
        return nil
    }

    /// How a final record was saved.
    enum Saved: Equatable {
        case normally
        /// Into the reserve: the normal save failed for `reason`.
        case fromReserve(reason: String)
    }

    /// Saves `record` as the run's final record: normally, else through the reserve, with a warning added
    /// that says so. Throws only when neither worked (no reserve, or it could not be written either).
    static func save(_ record: inout RunRecord, store: RunStore) throws(CoreError) -> Saved {
        let paths = RunPaths(runDir: record.runDir)
        let reserve = path(paths)
        do {
            // Published first, made durable right after (`LateSync`): the fsync (0.3–0.9 ms) is off the path
            // to the client and to the supervisor's next run.
            // A power cut in between leaves the record before it (the run then ends up interrupted, as if
            // the cut had come a millisecond earlier); write() already reserved the blocks, so a full disk
            // fails it here, not later.
            try store.saveFile(record, sync: false)
            // Removing the reserve is what wakes followers (`FollowerWakeup`), before the fsync and the index
            // row (~0.3 ms): whoever searches the index first brings the rows of active runs up to date from
            // their files (`WorkspaceRepair.refreshActive`).
            unlink(reserve)
            let published = paths.record
            LateSync.run { FileSystem.sync(published) }
            store.index?.upsert(record)
            return .normally
        } catch {
            guard access(reserve, F_OK) == 0 else { throw error }
            let reason = Self.reason(error)
            var saved = record
            saved.warnings.append("run.json: the final record was written into the space reserved for it (\(reason))")
            let bytes = JSONWriter.pretty(saved.json(), numbersAsWritten: true)
            try CoreError.workspaceFile(paths.record) { () throws(FileError) in
                try AtomicFile.commit(bytes, through: reserve, to: paths.record)
            }
            // The reserve's unused blocks were just given back: room for the index row.
            store.index?.upsert(saved)
            record = saved
            return .fromReserve(reason: reason)
        }
    }

    /// The reason inside a save error: "no space left on device" rather than the whole message.
    static func reason(_ error: CoreError) -> String {
        if case .workspace(_, let reason) = error { return reason.prefix(1).lowercased() + reason.dropFirst() }
        return error.description
    }
}
