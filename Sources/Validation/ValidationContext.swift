import JSON

/// Where the files are and what the run was asked to do.
public struct ValidationContext: Sendable {
    /// The directory the script wrote into (a run's `results/`).
    public var resultsDir: String
    /// The run's directory, which holds `execution.log`; nil when files are validated outside a run, in which
    /// case the log is looked for in `resultsDir` and its absence is a single warning.
    public var runDir: String?
    /// The run's params; `capital` is taken from here first.
    public var params: JSONObject

    public init(resultsDir: String, runDir: String? = nil, params: JSONObject = [:]) {
        self.resultsDir = resultsDir
        self.runDir = runDir
        self.params = params
    }
}
