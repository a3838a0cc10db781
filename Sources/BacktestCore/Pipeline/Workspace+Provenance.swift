import JSON
import Provenance

/// Comparing runs, reporting on one, and rerunning one from its captured code.
extension Workspace {
    /// One row per run with its params and every metric of its summary.csv.
    public func compare(_ records: [RunRecord]) -> (columns: [String], rows: [JSONObject], csv: String) {
        RunComparison.table(runs: records.map { r in
            (record: r.json().objectValue ?? [:], summaryCSVPath: r.outputDir + "/summary.csv")
        })
    }

    /// Writes `results/reports/report.html` for a run and returns its path.
    public func report(runID: String) throws(CoreError) -> String {
        let r = try record(runID: runID)
        let pnl = r.outputDir + "/pnl.csv"
        let html: String
        do {
            html = try HTMLReport.render(record: r.json().objectValue ?? [:], pnlCSVPath: pnl,
                                         summaryCSVPath: r.outputDir + "/summary.csv", validation: r.validation,
                                         metadata: MetadataDocument.read(runDir: r.runDir))
        } catch ProvenanceError.missingFile(let path) {
            throw .resultsMissing(runID: runID, file: String(path.split(separator: "/").last ?? "pnl.csv"))
        } catch {
            throw .resultsMissing(runID: runID, file: "pnl.csv (\(error))")
        }
        let path = r.outputDir + "/" + HTMLReport.relativePath
        _ = PathOps.makeDirectories(r.outputDir + "/reports")
        try AtomicFile.write(Array(html.utf8), to: path, sync: false)
        return path
    }

    /// Starts a new run with the original's params, args, environment and inputs, running the code captured
    /// in the original's `code/` rather than today's working tree. When it ends, its supervisor records in
    /// both runs whether every result file came out identical.
    public func rerun(runID: String) throws(CoreError) -> RunRecord {
        let original = try record(runID: runID)
        guard original.status.isTerminal else { throw .runNotFinished(runID: runID, status: original.status) }
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
        let request = RunRequest(
            // The spec keeps the real params and args; the record shows them with secrets masked.
            script: entry, params: spec?.params ?? original.params, args: spec?.args ?? original.args, env: env,
            timeoutSeconds: original.timeoutSeconds, tags: original.tags, note: original.note, profile: original.profile,
            inputs: spec?.inputs ?? [], scriptsDirOverride: source.codeDir,
            extra: [RunProvenanceHooks.rerunOfKey: .string(runID)])
        return try submit(request)
    }
}
