import Base
import Glibc
import JSON
import Provenance

/// Provenance at the two ends of a run, in the supervisor: the metadata document and the code capture once
/// the script has started (so they never delay it), the exit and the hash of every result file once it has
/// ended, and for a rerun the check that the results came out the same. A failure here is a warning in
/// the record, never a failed run.
struct RunProvenanceHooks: Sendable {
    let layout: WorkspaceLayout
    /// The workspace's secret names: the metadata shows argv and the added environment without secrets.
    var redaction = SecretRedaction.standard
    /// The workspace's `reproduction` rules: result files or JSON keys a rerun may differ in.
    var reproduction = ReproductionRules.none
    /// The start document as `started` wrote it: `ending` completes it without reading it back (hooks are
    /// made for one run).
    let startDocument = Shared<RunProvenance.Started?>(nil)

    /// The record member a rerun names its original in.
    static let rerunOfKey = "rerun_of"
    static let reproductionKey = "reproduction"
    /// The record member a rerun names the interpreter it was pinned to in (the original's).
    static let pinnedInterpreterKey = "pinned_interpreter"

    func started(_ record: RunRecord, _ spec: RunSpec) -> [String] {
        // A rerun runs the original's captured code: record that code, not today's working tree.
        let rerun = record.extra[Self.rerunOfKey]?.stringValue.flatMap { id in
            RunStore.isValidRunID(id) ? RerunSource.load(runID: id, runDir: layout.run(id).runDir) : nil
        }
        let secrets = redaction.secretValues(params: spec.params, env: spec.envAdded)
        let request = RunProvenance.StartRequest(
            backtestID: record.runID, serverVersion: BacktestVersion.current,
            interpreter: spec.executable == spec.scriptPath ? nil : spec.executable, script: spec.scriptPath,
            entryPoint: record.script, argv: redaction.redact(argv: spec.argv, secretValues: secrets),
            params: .object(record.params), envAdded: redaction.redact(env: spec.envAdded),
            workingDirectory: spec.cwd, workspaceRoot: spec.workspaceRoot, runDir: record.runDir, inputs: spec.inputs,
            rerun: rerun, startedAt: record.startedAt.map { ISOTime.format(millis: $0) })
        let started = RunProvenance.start(request, interpreters: InterpreterCache(file: layout.interpreterCache))
        startDocument.withLock { $0 = started }
        // Which files were captured, and how, is for people debugging a capture; it stays out of the
        // script's own execution.log.
        if !started.log.isEmpty {
            try? AtomicFile.write(Array((started.log.joined(separator: "\n") + "\n").utf8),
                                  to: RunPaths(runDir: record.runDir).metadataDir + "/capture.log", sync: false)
        }
        return started.warnings
    }

    /// Before the final record: complete the metadata, so a client that sees the final status finds it done.
    /// Not synced here: its fsync (~0.4 ms) waits until the final record is out (`ended`), and a power cut in
    /// between takes what it would take a moment earlier.
    /// `resultHashes`: the result files' hashes when they were taken ahead (`PreparedEnd`).
    func ending(_ record: RunRecord, _ spec: RunSpec, resultHashes: [CapturedFile]? = nil) -> [String] {
        RunProvenance.finish(runDir: record.runDir, backtestID: record.runID, exitCode: record.exitCode,
                             durationSeconds: record.durationSeconds ?? 0, status: record.status.rawValue,
                             start: startDocument.withLock { $0 }, results: resultHashes, sync: false).warnings
    }

    /// After the final record: the metadata is made durable, and a rerun compares its result hashes with its
    /// original's.
    func ended(_ record: RunRecord) -> [String] {
        let runDir = record.runDir
        LateSync.run { MetadataDocument.syncEnd(runDir: runDir) }
        guard let original = record.extra[Self.rerunOfKey]?.stringValue, RunStore.isValidRunID(original) else { return [] }
        return recordReproduction(rerun: record, original: original,
                                  results: RunProvenance.recordedResults(runDir: record.runDir) ?? [])
    }

    /// Compares a rerun's result hashes with its original's and writes the verdict into both records.
    private func recordReproduction(rerun: RunRecord, original: String, results: [CapturedFile]) -> [String] {
        let originalPaths = layout.run(original)
        guard let recorded = RunProvenance.recordedResults(runDir: originalPaths.runDir) else {
            return ["reproduction: run \(original) has no recorded result hashes to compare with"]
        }
        let check = Reproduction.compare(original: recorded, rerun: results, rules: reproduction,
                                         originalResults: originalPaths.results, rerunResults: RunPaths(runDir: rerun.runDir).results)
        var verdict = check.json().objectValue ?? [:]
        verdict["original"] = .string(original)
        verdict["rerun"] = .string(rerun.runID)
        verdict["checked_at"] = .string(ISOTime.format(millis: ISOTime.nowMillis()))
        let store = RunStore(layout: layout, index: try? RunIndex(path: layout.index))
        var warnings: [String] = []
        // Our own record: we hold its lock. The original's: wait for its lock (another process may be
        // amending it for a moment).
        do {
            var mine = try store.load(paths: RunPaths(runDir: rerun.runDir))
            mine.extra[Self.reproductionKey] = .object(verdict)
            try store.save(mine)
        } catch { warnings.append("reproduction: \(error)") }
        if let lock = FileLock(path: originalPaths.lock, create: false) {
            lock.lock()
            defer { lock.close() }
            do {
                var theirs = try store.load(paths: originalPaths)
                theirs.extra[Self.reproductionKey] = .object(verdict)
                try store.save(theirs)
            } catch { warnings.append("reproduction: \(error)") }
        }
        return warnings
    }
}
