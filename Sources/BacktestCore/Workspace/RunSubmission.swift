import Base
import Dispatch
import Glibc
import JSON
import Provenance

/// How a workspace turns a `RunRequest` into a queued run (`Workspace.submit`): checks the request, resolves
/// the script and its interpreter, allocates the id, and creates the run's directory, `.spec.json`, `run.json`
/// (queued) and queue entry. Nothing is left behind when the request is refused.
///
/// It owns the state that makes submitting fast and ordered within the process: the run id allocator (ids
/// never go backwards in this workspace) and the interpreter cache (each interpreter probed once).
struct RunSubmission: Sendable {
    let config: WorkspaceConfig
    let store: RunStore
    let index: RunIndex
    let serverPID: Int32
    /// This process's environment when the workspace opened: what scripts inherit (the core never changes
    /// the process's own environment).
    let baseEnv: [String: String]
    let allocator: RunIDAllocator
    /// The interpreters' executables, resolved once per command, through the workspace's interpreters.json
    /// that the supervisors keep too: asking a Python what it is (and which packages it has) costs ~100 ms,
    /// which a server started afresh must not pay again on its first `run`.
    let interpreters: InterpreterCache
    let cache: ResultCache
    /// The index rows of runs started at once, written after their start (`LateIndexRows`).
    let lateRows: LateIndexRows

    var layout: WorkspaceLayout { config.layout }
    /// Where interpreter commands are looked up: the PATH scripts inherit.
    var searchPath: String { baseEnv["PATH"] ?? "/usr/bin:/bin" }

    init(config: WorkspaceConfig, store: RunStore, index: RunIndex, serverPID: Int32) {
        self.config = config; self.store = store; self.index = index; self.serverPID = serverPID
        baseEnv = ProcessEnvironment.current()
        allocator = RunIDAllocator(runsDir: config.layout.runsDir)
        interpreters = InterpreterCache(file: config.layout.interpreterCache)
        cache = ResultCache(layout: config.layout, store: store)
        lateRows = LateIndexRows(index: index)
    }

    /// Creates the run, queued. `startNow` may start it at once, taking over its lock (`Scheduler.startNow`);
    /// its index row is then written a moment later (`LateIndexRows`). Otherwise it gets a queue entry, and
    /// `queued` is called as soon as it can be claimed (the caller asks for a scheduling pass there), before
    /// its index row is written: the run's start need not wait for that.
    func submit(_ req: RunRequest, startNow: (RunPaths, FileLock) -> Bool = { _, _ in false },
                queued: () -> Void = {}) throws(CoreError) -> RunRecord {
        let scriptsDir = req.scriptsDirOverride.map { PathText.join(config.root, $0) } ?? config.scriptsDir
        let script = try ScriptResolver.resolve(req.script, scriptsDir: scriptsDir)
        if let t = req.timeoutSeconds, !(t > 0 && t.isFinite) {
            throw .invalidArgument(field: "timeout_s", reason: "must be a positive number of seconds")
        }
        let paramArguments = try RunCommandLine.arguments(params: req.params)
        try RunCommandLine.check(args: req.args, env: req.env)
        let (executable, interpreter): (String, [String])
        if let cmd = req.pinnedInterpreter {
            (executable, interpreter) = try pinned(cmd, for: script, named: req.script, from: req.extra["rerun_of"]?.stringValue)
        } else {
            (executable, interpreter) = try command(for: script, named: req.script, cwd: scriptsDir)
        }

        let (runID, createdAt) = try allocate(req.runID)
        let paths = layout.run(runID)
        let cacheKey = req.cache == .off ? nil
            : CacheKey.compute(scriptPath: script.absolute, workspaceRoot: config.root, interpreter: interpreter,
                               info: interpreter.first.flatMap { interpreters.info(for: $0, workingDirectory: scriptsDir) },
                               params: req.params, args: req.args, env: config.env.merging(req.env) { $1 },
                               inputs: req.inputs, profile: req.profile, redaction: config.redaction)
        // Held until the queue entry exists: between the record and its entry, the run looks claimed (lock
        // held) rather than abandoned (no entry, lock free) to any process's interruption check.
        let creating = FileLock(path: paths.lock)
        creating?.lock()
        defer { creating?.close() }
        do throws(CoreError) {
            if mkdir(paths.results, 0o755) != 0 && errno != EEXIST {
                throw .workspace(path: paths.results, reason: "cannot create: \(errnoText())")
            }
            // The run's own output_dir_arg (null or "": none) wins over the config's.
            let outputDirArg = req.outputDirArg.map { $0.flatMap { $0.isEmpty ? nil : $0 } } ?? config.outputDirArg
            let argv = RunCommandLine.argv(interpreter: interpreter, script: script.absolute, paramArguments: paramArguments,
                                           args: req.args, outputDirArg: outputDirArg, outputDir: paths.results)
            let env = RunCommandLine.environment(config: config.env, run: req.env, runID: runID, runDir: paths.runDir,
                                                 outputDir: paths.results)
            let timeout = req.timeoutSeconds ?? config.defaultTimeoutSeconds
            var spec = RunSpec(executable: executable, argv: argv, envAdded: env, baseEnv: baseEnv, cwd: scriptsDir,
                               timeoutSeconds: timeout, killGraceSeconds: config.killGraceSeconds, profile: req.profile,
                               scriptPath: script.absolute, workspaceRoot: config.root, inputs: req.inputs,
                               params: req.params, args: req.args)
            spec.outputDirArg = outputDirArg
            // `working_dir: "run_dir"`: the script runs in its own run dir (nothing to collect from a shared dir).
            if config.workingDir == .runDir { spec.cwd = paths.runDir }
            spec.cwdCopyMaxBytes = config.cwdCopyMaxBytes
            spec.sbatchArgs = req.sbatchArgs
            // What everyone may see (record, index, notifications): secret-named params and URL passwords
            // masked. The script gets the real values through the spec.
            let redaction = config.redaction
            var record = RunRecord(runID: runID, script: script.relative, params: redaction.redact(params: req.params),
                                   args: redaction.redact(argv: req.args, secretValues: []),
                                   status: .queued, createdAt: createdAt, runDir: paths.runDir, outputDir: paths.results)
            record.serverPID = Int(serverPID)
            record.tags = req.tags
            record.note = req.note
            record.timeoutSeconds = timeout
            record.profile = req.profile
            record.extra = req.extra
            if req.cache != .off { record.extra["cache"] = .string(req.cache.rawValue) }
            record.cacheKey = cacheKey
            if req.cache == .reuse, let key = cacheKey, let original = cache.lookup(key) {
                return try answer(record, from: original, paths: paths)
            }
            // Spec and record first, queue entry last: whoever sees the entry finds everything it needs.
            try store.saveSpec(spec, paths: paths, sync: false)
            try store.saveFile(record, sync: false)
            // The version of this record, taken while nobody else can write it (the run cannot be claimed
            // yet): its index row, written after the run may have started, then never hides a later status.
            let version = RunIndex.version(of: paths.runDir)
            if let creating, startNow(paths, creating) {
                creating.close()  // the supervisor holds its own copy of the lock now
                lateRows.add(record, version: version)
                return record
            }
            let fd = open(layout.queueEntry(runID), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw .workspace(path: layout.queueEntry(runID), reason: "cannot queue the run: \(errnoText())")
            }
            close(fd)
            // Claimable now: the lock must be free for the pass that `queued` asks for.
            creating?.close()
            queued()
            index.upsert([(record, version)])
            return record
        } catch {
            // Leave no half-made run behind (its dir would show as a run that never existed).
            for f in [paths.record, paths.spec, paths.lock] { unlink(f) }
            rmdir(paths.results)
            rmdir(paths.runDir)
            index.remove(runIDs: [runID])
            throw error
        }
    }

    /// A new id from the allocator, or the id a sweep chose (its dir made here, as the allocator would).
    private func allocate(_ preset: String?) throws(CoreError) -> (id: String, millis: Int64) {
        guard let id = preset else { return try allocator.allocate() }
        let dir = layout.run(id).runDir
        guard RunStore.isValidRunID(id), mkdir(dir, 0o755) == 0 else {
            throw .workspace(path: dir, reason: "cannot create the run directory: \(errnoText())")
        }
        return (id, ISOTime.nowMillis())
    }

    /// Completes `record` at once from `original`, a completed run with the same cache key: no supervisor, no
    /// script. Its results, log and captured code are `original`'s files, hard-linked; its validation, metrics
    /// and summary are `original`'s; `cached_from` names it.
    private func answer(_ record: RunRecord, from original: RunRecord, paths: RunPaths) throws(CoreError) -> RunRecord {
        let source = layout.run(original.runID)
        // Everything of the original's dir but what is the run's own: its record, spec and locks.
        let skip: Set<String> = ["run.json", ".spec.json", ".lock", ".cancel-requested"]
        do throws(FileError) {
            for rel in FileSystem.walkFiles(source.runDir, skipTopLevel: skip) {
                try ResultCache.linkFile(from: source.runDir + "/" + rel, to: paths.runDir + "/" + rel)
            }
        } catch {
            throw .workspace(path: paths.runDir, reason: "cannot link the cached run's files: \(error)")
        }
        var r = record
        r.cachedFrom = original.runID
        r.validation = original.validation
        r.metrics = original.metrics
        r.summary = original.summary
        r.exitCode = 0
        r.startedAt = ISOTime.nowMillis()
        r.completedAt = r.startedAt
        r.status = .completed
        try store.save(r, sync: false)
        return r
    }

    /// The executable and the argv prefix before the script: the interpreter for the script's extension,
    /// or the script itself when it has none and is executable.
    private func command(for script: ScriptResolver.Resolved, named: String, cwd: String) throws(CoreError) -> (String, [String]) {
        if let cmd = config.interpreters[script.fileExtension], let first = cmd.first {
            if let exe = interpreters.executable(for: first, searchPath: searchPath, workingDirectory: cwd) {
                return (exe, [exe] + cmd.dropFirst())
            }
            // The interpreter is missing; an executable script can still run on its own (its shebang).
            if access(script.absolute, X_OK) == 0 { return (script.absolute, []) }
            throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension, interpreter: first,
                                     searched: first.contains("/") ? first : "PATH=" + searchPath)
        }
        guard access(script.absolute, X_OK) == 0 else {
            throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension)
        }
        return (script.absolute, [])
    }

    /// A rerun's interpreter: the original run's command line before its script (`[]`: it ran the script
    /// itself), used as it is, whatever today's PATH finds; refused when that interpreter is gone.
    private func pinned(_ cmd: [String], for script: ScriptResolver.Resolved, named: String, from original: String?)
        throws(CoreError) -> (String, [String]) {
        guard let first = cmd.first else {
            guard access(script.absolute, X_OK) == 0 else {
                throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension)
            }
            return (script.absolute, [])
        }
        guard first.hasPrefix("/"), access(first, X_OK) == 0 else {
            throw .scriptNotRunnable(script: named, fileExtension: script.fileExtension, interpreter: first,
                                     searched: "the interpreter recorded by run \(original ?? "?"), which is gone")
        }
        return (first, cmd)
    }

    /// Resolves the configured interpreters in the background, so that the first `run` does not pay the
    /// interpreter probe (~150 ms for a pyenv shim).
    func warmUpInterpreters() {
        let commands = Set(config.interpreters.values.compactMap(\.first))
        let interpreters = interpreters, path = searchPath, cwd = config.scriptsDir
        DispatchQueue.global(qos: .utility).async {
            for c in commands { _ = interpreters.executable(for: c, searchPath: path, workingDirectory: cwd) }
        }
    }
}
