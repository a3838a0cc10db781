import Base
import JSON

/// The calls a run's supervisor makes: `start` once the script is running (or just before), `finish` after
/// it ends, and for a rerun `prepareRerun` before the script is spawned.
///
/// `start` and `finish` never throw: every failure becomes a warning for the run record, because a metadata
/// problem must never fail a run. Both are synchronous file work (milliseconds, plus hashing of inputs and
/// results), meant for a supervisor thread, not the one that pumps the script's output.
public enum RunProvenance {
    /// What the supervisor knows when a run starts.
    public struct StartRequest: Sendable {
        public var backtestID: String
        public var serverVersion: String
        /// The interpreter as configured (`python3`), or nil when the script is executed directly.
        public var interpreter: String?
        /// Absolute path of the script the user asked for (for a rerun: ignored; the code comes from `rerun`).
        public var script: String
        /// The script as the user named it (relative to the scripts folder).
        public var entryPoint: String
        public var argv: [String]
        public var params: JSONValue
        /// Variables the run adds to the environment (redacted when written).
        public var envAdded: [String: String]
        public var workingDirectory: String
        public var workspaceRoot: String
        /// `<runs_dir>/<run_id>`: code goes to `code/`, the document to `metadata/`.
        public var runDir: String
        /// The `inputs` param: data files or folders, absolute or relative to the workspace root.
        public var inputs: [String]
        /// Set for a rerun: copy the original's captured code instead of capturing the working tree.
        public var rerun: RerunSource?
        /// The run's `started_at`, so the document and the record agree; now when nil.
        public var startedAt: String?

        public init(backtestID: String, serverVersion: String, interpreter: String?, script: String, entryPoint: String,
                    argv: [String], params: JSONValue, envAdded: [String: String], workingDirectory: String,
                    workspaceRoot: String, runDir: String, inputs: [String] = [], rerun: RerunSource? = nil,
                    startedAt: String? = nil) {
            self.backtestID = backtestID
            self.serverVersion = serverVersion
            self.interpreter = interpreter
            self.script = script
            self.entryPoint = entryPoint
            self.argv = argv
            self.params = params
            self.envAdded = envAdded
            self.workingDirectory = workingDirectory
            self.workspaceRoot = workspaceRoot
            self.runDir = runDir
            self.inputs = inputs
            self.rerun = rerun
            self.startedAt = startedAt
        }
    }

    /// What `start` did.
    public struct Started: Sendable {
        /// The document as written (keep it to show or to finish with).
        public var document: MetadataDocument
        /// Its bytes as written (nil when it could not be written), for `finish` to extend.
        public var bytes: [UInt8]?
        /// For the run record's `warnings`.
        public var warnings: [String]
        /// Debug lines for the run's log (capture mode, captured files).
        public var log: [String]
        /// For a rerun, the script to start: the entry inside this run's `code/`.
        public var rerunScript: String?
    }

    /// Captures code, asks git, hashes inputs, resolves the interpreter and writes the start document.
    public static func start(_ r: StartRequest, interpreters: InterpreterCache) -> Started {
        let codeDir = r.runDir + "/code"
        var warnings: [String] = []
        var log: [String] = []

        let code: CodeCaptureResult
        var git: GitInfo?
        if let rerun = r.rerun {
            if let script = rerun.script(inCodeDir: codeDir), FileSystem.kind(script) == .file {
                // `prepareRerun` already copied the code (the script runs from it): describe it in place.
                code = CodeCapture.describe(codeDir: codeDir, mode: rerun.mode, entry: rerun.entry)
            } else {
                code = CodeCapture.recapture(fromCodeDir: rerun.codeDir, mode: rerun.mode, entry: rerun.entry, codeDir: codeDir)
            }
        } else {
            code = CodeCapture.capture(entry: r.script, workspaceRoot: r.workspaceRoot, codeDir: codeDir)
            // The working tree's git state describes the captured code only when the code came from it.
            // The runs folder (this run's parent) is output, not code: keep it out of dirty and the diff.
            git = GitInfo.collect(directory: PathText.parent(PathText.normalize(r.script)),
                                  excluding: [PathText.parent(PathText.normalize(r.runDir))])
            if let g = git, g.dirty {
                do {
                    try g.saveDiff(codeDir: codeDir)
                } catch {
                    warnings.append("metadata: saving git diff: \(error)")
                }
            }
        }
        warnings += code.warnings
        log += code.log

        let inputs = InputData.describe(paths: r.inputs, relativeTo: r.workspaceRoot)
        warnings += inputs.warnings

        var interpreter: InterpreterInfo?
        if let name = r.interpreter {
            interpreter = interpreters.info(for: name, workingDirectory: r.workingDirectory)
            if interpreter == nil { warnings.append("metadata: could not ask interpreter \(name) for its version") }
        }

        let document = MetadataDocument(
            backtestID: r.backtestID, timestamp: r.startedAt ?? ISOTime.now(), serverVersion: r.serverVersion, interpreter: interpreter, entryPoint: r.entryPoint,
            argv: r.argv, params: r.params, envAdded: r.envAdded, workingDirectory: r.workingDirectory, git: git,
            code: code, inputs: inputs.files, rerunOf: r.rerun?.runID,
            strategyEntryPoint: r.rerun.flatMap { $0.script(inCodeDir: codeDir) } ?? PathText.normalize(r.script),
            interpreterIsPython: interpreter != nil && (InterpreterCache.isPythonLike(r.interpreter ?? "")
                || InterpreterCache.isPythonLike(interpreter?.path ?? "")),
            inputNames: r.inputs)
        var bytes: [UInt8]?
        do {
            bytes = try MetadataDocument.writeStart(document, runDir: r.runDir)
        } catch {
            warnings.append("metadata: \(error)")
        }
        return Started(document: document, bytes: bytes, warnings: warnings, log: log,
                       rerunScript: r.rerun?.script(inCodeDir: codeDir))
    }

    /// For a rerun, before its script is spawned: copies the original's captured code into the new run's
    /// `code/` and returns the script to start (the entry inside it). The script must not start before
    /// this, since it runs from that copy; `start` later only describes the copy. Throws when nothing could
    /// be copied.
    public static func prepareRerun(_ source: RerunSource, runDir: String) throws -> String {
        let codeDir = runDir + "/code"
        let result = CodeCapture.recapture(fromCodeDir: source.codeDir, mode: source.mode, entry: source.entry, codeDir: codeDir)
        guard let script = source.script(inCodeDir: codeDir), FileSystem.kind(script) == .file else {
            throw ProvenanceError.invalidContent(path: source.codeDir, reason: result.warnings.first ?? "the entry script was not captured")
        }
        return script
    }

    /// What `finish` did.
    public struct Finished: Sendable {
        public var resultFiles: [CapturedFile]
        public var warnings: [String]
    }

    /// Hashes `results/` and completes the document. Call it once the run's final status is known (after
    /// validation), before the record turns terminal, so that a rerun waiting on it finds the hashes.
    /// Without `sync` the caller makes the document durable later (`MetadataDocument.syncEnd`), off the path to
    /// the final status.
    /// `start`: what `start` did, when this process has it (else the document is read back from the file).
    /// `results`: the result files' hashes, when the caller took them already (`hashResults`).
    public static func finish(runDir: String, backtestID: String, exitCode: Int?, durationSeconds: Double,
                              status: String, start: Started? = nil, results hashed: [CapturedFile]? = nil,
                              sync: Bool = true) -> Finished {
        let results = hashed ?? hashResults(runDir: runDir)
        let outcome = RunOutcome(exitCode: exitCode, durationSeconds: durationSeconds, status: status, resultFiles: results)
        var warnings: [String] = []
        do {
            try MetadataDocument.writeEnd(outcome, runDir: runDir, backtestID: backtestID,
                                          start: start.flatMap { $0.bytes == nil ? $0.document.json().objectValue : nil },
                                          startBytes: start?.bytes, sync: sync)
        } catch {
            warnings.append("metadata: \(error)")
        }
        return Finished(resultFiles: results, warnings: warnings)
    }

    /// The hash of every file of a run's results dir.
    public static func hashResults(runDir: String) -> [CapturedFile] {
        ResultHashes.hashAll(resultsDir: runDir + "/results")
    }

    /// The result files recorded in a finished run's metadata (for `Reproduction.compare`); nil when the
    /// run has no end recorded.
    public static func recordedResults(runDir: String) -> [CapturedFile]? {
        guard case .array(let items)? = MetadataDocument.read(runDir: runDir)?["result_files"] else { return nil }
        return items.compactMap(CapturedFile.init(json:))
    }
}
