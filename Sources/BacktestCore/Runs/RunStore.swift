import Base
import Glibc
import JSON

/// Reads and writes run records. Every write replaces `run.json` atomically and then refreshes the index.
public struct RunStore: Sendable {
    public let layout: WorkspaceLayout
    public let index: (any RunIndexing)?

    public init(layout: WorkspaceLayout, index: (any RunIndexing)?) { self.layout = layout; self.index = index }

    /// Numbers a client wrote (a run's params: `1e6`, `1.50`) are written and read back as written, so that
    /// run.json, `status` and a rerun show them as the client sent them (see docs/runs.md).
    /// `sync: false` skips the fsync (~0.4 ms): for a new queued record, where answering `run` fast matters
    /// more than surviving a power cut before the run even started.
    public func save(_ record: RunRecord, sync: Bool = true) throws(CoreError) {
        try saveFile(record, sync: sync)
        index?.upsert(record)
    }

    /// `run.json` alone, without its index row (for a caller that has something to do in between).
    public func saveFile(_ record: RunRecord, sync: Bool = true) throws(CoreError) {
        let paths = RunPaths(runDir: record.runDir)
        let bytes = JSONWriter.pretty(record.json(), numbersAsWritten: true)
        try CoreError.workspaceFile(paths.record) { () throws(FileError) in try AtomicFile.write(bytes, to: paths.record, sync: sync) }
    }

    public func load(runID: String) throws(CoreError) -> RunRecord {
        guard Self.isValidRunID(runID) else { throw .runNotFound(runID: runID) }
        return try load(paths: layout.run(runID))
    }

    public func load(paths: RunPaths) throws(CoreError) -> RunRecord {
        guard let bytes = AtomicFile.read(paths.record) else { throw .runNotFound(runID: paths.runID) }
        guard let v = try? JSONParser.parse(bytes, keepingNumberText: true), let r = RunRecord(json: v) else {
            throw .workspace(path: paths.record, reason: "not a run record")
        }
        return r
    }

    public func saveSpec(_ spec: RunSpec, paths: RunPaths, sync: Bool = true) throws(CoreError) {
        let bytes = JSONWriter.pretty(spec.json(), numbersAsWritten: true)
        try CoreError.workspaceFile(paths.spec) { () throws(FileError) in try AtomicFile.write(bytes, to: paths.spec, mode: 0o600, sync: sync) }
    }

    public func loadSpec(paths: RunPaths) throws(CoreError) -> RunSpec {
        guard let bytes = AtomicFile.read(paths.spec), let v = try? JSONParser.parse(bytes, keepingNumberText: true),
              let s = RunSpec(json: v) else { throw .workspace(path: paths.spec, reason: "missing or unreadable") }
        return s
    }

    /// A run id is a directory name we made: digits and underscores only. Anything else (`..`, `/`) is
    /// refused before it touches the file system.
    public static func isValidRunID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
