/// How the files of a run's code were chosen.
public enum CodeCaptureMode: String, Sendable {
    /// Python import analysis from the entry script.
    case imports
    /// The `files:` list of a `strategy.yaml` beside the script.
    case manifest
    /// The script alone (not Python, and no manifest).
    case single
}
