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
        return RunRequest(
            // The spec keeps the real params and args; the record shows them with secrets masked.
            script: entry, params: spec?.params ?? original.params, args: spec?.args ?? original.args, env: env,
            timeoutSeconds: original.timeoutSeconds, tags: original.tags, note: original.note, profile: original.profile,
            inputs: spec?.inputs ?? [], scriptsDirOverride: source.codeDir,
            extra: [RunProvenanceHooks.rerunOfKey: .string(runID)])
    }
}
