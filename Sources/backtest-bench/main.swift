import Foundation

// The benchmark target: `swift run -c release backtest-bench <suite>`; each suite prints its figures next
// to the plain baseline the issue names, measured in the same run. Figures go to docs/performance.md.
let suites: [(name: String, summary: String, run: ([String]) throws -> Void)] = [
    ("transport", "pipelined health requests and round-trip latency vs cat", TransportBench.run),
    ("core", "run submission, list over 10,000 runs, start-up, logs tail", CoreBench.run),
    ("search", "where / order_by: the first page of a search over an index of 100,000 runs", SearchBench.run),
    ("capture", "1,000,000 log lines through a supervised run vs writing to a file; spawn latency", CaptureBench.run),
    ("stream", "1,000,000 log lines through the server to a fast client vs writing to a file", StreamBench.run),
    ("validation", "validating 1,000,000 trades vs wc -l", ValidationBench.run),
    ("provenance", "code capture of a 50-file project; SHA-256 vs sha256sum", ProvenanceBench.run),
    ("manyruns", "200 trivial runs vs xargs -P2; a short backtest vs running it directly; a 10,000-set sweep", ManyRunsBench.run),
    ("slurm", "a run and a 100-run sweep through a real single-node Slurm cluster vs the local executor", SlurmBench.run),
    ("cwdscan", "finding the files a run wrote in a 10,000-file working directory (watch + events; full walks)", CwdScanBench.run),
]

let args = Array(CommandLine.arguments.dropFirst())
let chosen = args.first.map { name in suites.filter { $0.name == name } } ?? suites
if chosen.isEmpty || args.first == "--help" {
    print("usage: backtest-bench [suite] [options]\nsuites:")
    for s in suites { print("  \(s.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(s.summary)") }
    exit(args.first == "--help" ? 0 : 2)
}
for s in chosen {
    print("== \(s.name): \(s.summary)")
    do { try s.run(Array(args.dropFirst())) } catch {
        print("\(s.name) failed: \(error)")
        exit(1)
    }
}
