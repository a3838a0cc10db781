import Base
import Provenance
import Reporting

/// A run's HTML report as a file in its results (`results/reports/report.html`), rendered from its record,
/// pnl.csv, summary.csv, validation report and metadata (`Workspace.report`).
enum RunReportFile {
    /// Renders and writes the report; returns its path. A run without pnl.csv: `resultsMissing`.
    /// `configuredCapital`: the workspace's `validation.capital` (the capital rule's last resort).
    static func write(for r: RunRecord, configuredCapital: Double = HTMLReport.defaultCapital) throws(CoreError) -> String {
        let html: String
        do {
            html = try HTMLReport.render(record: r.json().objectValue ?? [:], pnlCSVPath: r.outputDir + "/pnl.csv",
                                         summaryCSVPath: r.outputDir + "/summary.csv", validation: r.validation,
                                         metadata: MetadataDocument.read(runDir: r.runDir),
                                         configuredCapital: configuredCapital)
        } catch ProvenanceError.missingFile(let path) {
            throw .resultsMissing(runID: r.runID, file: PathText.fileName(path))
        } catch {
            throw .resultsMissing(runID: r.runID, file: "pnl.csv (\(error))")
        }
        let path = r.outputDir + "/" + HTMLReport.relativePath
        try? FileSystem.makeDirectories(r.outputDir + "/reports")
        try CoreError.workspaceFile(path) { () throws(FileError) in try AtomicFile.write(Array(html.utf8), to: path, sync: false) }
        return path
    }
}
