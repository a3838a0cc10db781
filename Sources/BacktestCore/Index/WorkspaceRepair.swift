import Base
import Glibc

/// Keeps the shared state of a workspace honest: the index agrees with the run dirs and no active record
/// outlives its supervisor. Run when a workspace opens, before `list`/`counts` answer (active rows only) and
/// on the periodic tick.
struct WorkspaceRepair: Sendable {
    let layout: WorkspaceLayout
    let store: RunStore
    let index: RunIndex
    let check: InterruptionCheck

    /// Makes the index list exactly the run dirs: records of dirs it lacks are read from run.json, rows of
    /// dirs that are gone are dropped. A missing or rebuilt index is the same case with every dir lacking.
    /// A dir without a readable run.json (a run being created this instant) is left for its creator.
    func syncIndex() throws(CoreError) {
        guard let names = FileSystem.entries(layout.runsDir) else {
            throw .workspace(path: layout.runsDir, reason: "cannot read the runs dir: \(errnoText())")
        }
        let onDisk = Set(names.filter(RunStore.isValidRunID))
        let indexed = try index.allRunIDs()
        var missing: [(RunRecord, Int64)] = []
        for id in onDisk.subtracting(indexed).sorted() {
            let version = RunIndex.version(of: layout.run(id).runDir)
            if let r = try? store.load(runID: id) { missing.append((r, version)) }
        }
        index.upsert(missing)
        // Only rows whose dir is really gone (not one created since the listing).
        index.remove(runIDs: indexed.subtracting(onDisk).filter { !FileSystem.isDirectory(layout.run($0).runDir) })
    }

    /// Brings the index's queued/running/validating rows up to date with their run.json and ends those whose
    /// supervisor died. Returns the current records of the runs that are still active.
    @discardableResult
    func refreshActive() -> [RunRecord] {
        check.retryUnwritten()
        guard let rows = try? index.activeRecords() else { return [] }
        var active: [RunRecord] = []
        for row in rows {
            // A queued run with its queue entry is waiting: nothing can have changed without the entry going.
            if row.status == .queued, FileSystem.exists(layout.queueEntry(row.runID)) { active.append(row); continue }
            // The version is taken before reading, so that a newer write by the run's owner meanwhile wins.
            let version = RunIndex.version(of: row.runDir)
            let disk: RunRecord
            do { disk = try store.load(runID: row.runID) } catch {
                if !FileSystem.isDirectory(layout.run(row.runID).runDir) { index.remove(runIDs: [row.runID]) }
                continue
            }
            if disk != row { index.upsert([(disk, version)]) }
            let now = check.check(disk)
            if !now.status.isTerminal { active.append(now) }
        }
        return active
    }
}
