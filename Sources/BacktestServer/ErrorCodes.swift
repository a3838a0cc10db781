import JSONRPC

/// The application error codes of the protocol. They sit outside JSON-RPC's reserved range
/// (-32768...-32000) and never change once released: clients in four languages match on them.
public enum ErrorCode {
    public static let runNotFound = 2001
    public static let scriptNotFound = 2002
    public static let scriptOutsideWorkspace = 2003
    public static let scriptNotRunnable = 2004
    public static let configInvalid = 2005
    public static let runFinished = 2006
    public static let pathOutsideRun = 2007
    public static let fileNotFound = 2008
    public static let profileNotFound = 2009
    public static let workspaceError = 2010
    public static let runNotFinished = 2011
    public static let resultsMissing = 2012
    public static let sweepNotFound = 2013
    public static let runsActive = 2014

    /// Every application error with the one-line meaning documented in OpenRPC.
    static let all: [Int: String] = [
        runNotFound: "No run with this id in the workspace",
        scriptNotFound: "The script does not exist under the scripts dir",
        scriptOutsideWorkspace: "The script path leaves the scripts dir",
        scriptNotRunnable: "No interpreter for the script's extension and no execute bit",
        configInvalid: "backtest-rpc.json is invalid",
        runFinished: "The run has already ended",
        pathOutsideRun: "The path leaves the run's results directory",
        fileNotFound: "No such file in the run's results",
        profileNotFound: "No validation profile with this name",
        workspaceError: "The workspace cannot be read or written",
        runNotFinished: "The run has not ended yet",
        resultsMissing: "A result file the operation needs is missing",
        sweepNotFound: "No sweep with this id in the workspace",
        runsActive: "Some of the runs are still queued or running",
    ]

    /// Stable snake_case names, for clients that prefer names to numbers.
    static let names: [Int: String] = [
        runNotFound: "run_not_found", scriptNotFound: "script_not_found", scriptOutsideWorkspace: "script_outside_workspace",
        scriptNotRunnable: "script_not_runnable", configInvalid: "config_invalid", runFinished: "run_finished",
        pathOutsideRun: "path_outside_run", fileNotFound: "file_not_found", profileNotFound: "profile_not_found",
        workspaceError: "workspace_error", runNotFinished: "run_not_finished", resultsMissing: "results_missing",
        sweepNotFound: "sweep_not_found", runsActive: "runs_active",
    ]

    static func spec(_ code: Int) -> ErrorSpec { ErrorSpec(code: code, message: all[code] ?? "", data: nil) }
}
