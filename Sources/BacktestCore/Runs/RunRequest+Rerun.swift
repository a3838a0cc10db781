import JSON
import Provenance

extension RunRequest {
    /// The request that reruns `original` (an ended run): its params, args, environment and inputs, running
    /// the code captured in its `code/` rather than today's working tree. `rerun_of` names the original, so
    /// that the rerun's supervisor records in both runs whether every result file came out identical.
    static func rerun(of original: RunRecord, layout: WorkspaceLayout, store: RunStore) throws(CoreError) -> RunRequest {
        let runID = original.runID
        let paths = layout.run(runID)
        guard let source = RerunSource.load(runID: runID, runDir: paths.runDir), let entry = source.entry else {
            throw .resultsMissing(runID: runID, file: "code/ (the run captured no code to rerun)")
        }
        let spec = try? store.loadSpec(paths: paths)
        var env = (spec?.envAdded ?? [:]).filter { !$0.key.hasPrefix("BACKTEST_") }
        // The captured code must stay as it was captured: no __pycache__ written next to it.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if let extra = CodeCapture.pythonPath(codeDir: source.codeDir) {
            env["PYTHONPATH"] = [extra, env["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        }
        // The interpreter is pinned: the one the original ran with, not whatever this client's PATH finds.
        var pinned: [String]?
        if let spec {
            if spec.executable == spec.scriptPath {
                pinned = []
            } else if let i = spec.argv.firstIndex(of: spec.scriptPath) {
                pinned = Array(spec.argv[..<i])
            } else {
                pinned = [spec.executable]
            }
        } else if let path = MetadataDocument.read(runDir: paths.runDir)?["interpreter"]["path"].stringValue {
            pinned = [path]
        }
        var extra: JSONObject = [RunProvenanceHooks.rerunOfKey: .string(runID)]
        if let first = pinned?.first { extra[RunProvenanceHooks.pinnedInterpreterKey] = .string(first) }
        var request = RunRequest(
            // The spec keeps the real params and args; the record shows them with secrets masked.
            script: entry, params: spec?.params ?? original.params, args: spec?.args ?? original.args, env: env,
            timeoutSeconds: original.timeoutSeconds, tags: original.tags, note: original.note, profile: original.profile,
            inputs: spec?.inputs ?? [], scriptsDirOverride: source.codeDir,
            extra: extra)
        request.pinnedInterpreter = pinned
        // The original's output dir argument (its run's override or its config's), or none if it passed none.
        if let spec { request.outputDirArg = .some(spec.outputDirArg) }
        return request
    }
}
