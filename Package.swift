// swift-tools-version:6.0
import PackageDescription

// Layers, bottom up:
//   JSON            a JSON value with a fast parser and writer (no Foundation on the hot path)
//   JSONRPC         JSON-RPC 2.0 over stdio: framing, dispatch, lifecycle, discovery. Knows nothing of backtests.
//   Base            the utilities every module shares, each written once: ISO time, paths, files (atomic write,
//                   reads, mkdir -p), process spawning, the typed config reader. Knows nothing of runs.
//   Validation      checks a run's output files (CSV, calendars, profiles). Knows nothing of processes or RPC.
//   Provenance      what produced a result: code capture, hashes, git, interpreters, metadata, reruns.
//   Reporting       what is shown of results: the compare table, the HTML report and its charts.
//   BacktestCore    the orchestration core: workspace, runs, supervisors, scheduling, logs, result files.
//                   Knows nothing of RPC.
//   BacktestServer  the thin binding of RPC methods to the core.
//   backtest-rpc    the executable: server mode and detached supervisor mode.
let package = Package(
    name: "backtest-rpc",
    products: [
        .executable(name: "backtest-rpc", targets: ["backtest-rpc"]),
        .executable(name: "backtest-bench", targets: ["backtest-bench"]),
    ],
    targets: [
        .target(name: "CSystem"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "JSON"),
        .target(name: "JSONRPC", dependencies: ["JSON", "CSystem", "Base"]),
        .target(name: "Base", dependencies: ["JSON", "CSystem"]),
        .target(name: "Validation", dependencies: ["JSON", "Base"]),
        .target(name: "Provenance", dependencies: ["JSON", "CSystem", "Base"]),
        .target(name: "Reporting", dependencies: ["JSON", "Base", "Provenance", "Validation"]),
        .target(name: "BacktestCore", dependencies: ["JSON", "CSystem", "CSQLite", "Base", "Validation", "Provenance", "Reporting"]),
        .target(name: "BacktestServer", dependencies: ["JSON", "JSONRPC", "Base", "BacktestCore", "Validation", "Provenance"]),
        .executableTarget(name: "backtest-rpc", dependencies: ["BacktestServer", "BacktestCore"]),
        .executableTarget(name: "backtest-bench", dependencies: ["JSON", "JSONRPC", "Base", "BacktestCore", "Validation", "Provenance", "CSystem"]),
        // What every test target shares: where the repo's own fixtures are, and the one rule for skips.
        .target(name: "TestSupport", dependencies: ["Base", "Provenance"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "JSON", "Base"]),
        .testTarget(name: "ValidationTests", dependencies: ["Validation", "Base", "JSON", "TestSupport"]),
        .testTarget(name: "ProvenanceTests", dependencies: ["Provenance", "Base", "JSON", "TestSupport"]),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Provenance", "Validation", "Base", "JSON", "TestSupport"]),
        .testTarget(name: "CoreTests", dependencies: ["BacktestCore", "Base", "JSON", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["JSON", "CSystem", "Base", "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: ["BacktestServer", "BacktestCore", "JSONRPC", "JSON", "TestSupport"]),
    ]
)
