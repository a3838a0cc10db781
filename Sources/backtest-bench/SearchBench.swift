import BacktestCore
import Base
import Glibc
import JSON

/// `backtest-bench search`: the first page (50) of a search over an index of many finished runs, against the
/// issue's targets: `where metrics.sharpe > 1`, `where params.fast = 10`, both again with
/// `order_by metrics.sharpe desc` (< 50 ms each), and the unfiltered page (< 10 ms).
///
/// The index is filled directly (records only, no run dirs): what a search costs is the index's, and a
/// Workspace opened over run dirs that do not exist would reconcile the rows away. `list` adds to these
/// figures only its check of active runs (one indexed query; none are active here). The plan SQLite
/// chooses is printed first, to show each condition reading an index.
///
/// Options: `--runs N` (100000), `--repeat R` (30), `--keep` (leave the temp dir).
enum SearchBench {
    typealias Failure = CaptureBench.Failure

    static func run(arguments: [String]) throws {
        var runs = 100_000, repeats = 30, keep = false
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--runs": runs = Int(try value()) ?? runs
            case "--repeat": repeats = Int(try value()) ?? repeats
            case "--keep": keep = true
            default: throw Failure(description: "unknown option \(option)")
            }
        }
        let root = try CaptureBench.makeTempDir("bt-search-bench")
        defer { if !keep { CaptureBench.removeTree(root) } }
        print("search bench: \(root) (\(runs) runs, index only)")

        let t0 = MonotonicTime.now()
        let index = try populate(root: root, runs: runs)
        print("  populate \(runs) runs:          \(CaptureBench.ms(MonotonicTime.now() - t0))"
              + "  (index \(FileSystem.fingerprint(index.path).map { "\($0.size / 1_048_576) MiB" } ?? "?"))")

        let cases: [(label: String, where: String?, orderBy: String?, target: Double)] = [
            ("first page, no filter", nil, nil, 0.010),
            ("where metrics.sharpe > 1", "metrics.sharpe > 1", nil, 0.050),
            ("where params.fast = 10", "params.fast = 10", nil, 0.050),
            ("  + order_by sharpe desc", "metrics.sharpe > 1", "metrics.sharpe desc", 0.050),
            ("  + order_by sharpe desc", "params.fast = 10", "metrics.sharpe desc", 0.050),
        ]
        var queries: [(String, RunQuery, Double)] = []
        for c in cases {
            let q = RunQuery(filter: try c.where.flatMap(RunFilter.parse), order: try c.orderBy.flatMap(RunOrder.parse))
            queries.append((c.label, q, c.target))
            print("  plan: where \(c.where ?? "-") order_by \(c.orderBy ?? "-")")
            for line in try index.queryPlan(q) { print("    " + line) }
        }
        for (label, q, target) in queries {
            let total = try index.query(q).total
            CoreBench.report("\(label) (\(total))", try CoreBench.time(repeats) {
                guard try index.query(q).runs.count == min(50, total) else { throw Failure(description: "short page") }
            }, target: target)
        }
        // Without targets: a sort over every run, and the other list filters through the same index.
        let more: [(String, RunQuery)] = [
            ("order_by sharpe desc (all)", RunQuery(order: try RunOrder.parse("metrics.sharpe desc"))),
            ("where tags.nightly", RunQuery(filter: try RunFilter.parse("tags.nightly"))),
            ("status=failed", RunQuery(statuses: [.failed])),
            ("where sharpe>1 and fast in", RunQuery(filter: try RunFilter.parse("metrics.sharpe > 1 and params.fast in (10, 20)"))),
        ]
        for (label, q) in more {
            let total = try index.query(q).total
            CoreBench.report("\(label) (\(total))", try CoreBench.time(repeats) { _ = try index.query(q) }, target: nil)
        }
    }

    /// Fills an index with `runs` finished runs in transactions of 10,000: params fast (5...50 by 5) and slow,
    /// a strategy name, metrics spread so that about a third have sharpe > 1, a nightly tag on every 7th.
    static func populate(root: String, runs: Int) throws -> RunIndex {
        let layout = WorkspaceLayout(root: root, runsDir: root + "/backtests")
        for d in [layout.runsDir, layout.stateDir] { mkdir(d, 0o755) }
        let index = try RunIndex(path: layout.index)
        let statuses: [RunStatus] = [.completed, .completed, .completed, .failed, .cancelled]
        let base = ISOTime.nowMillis() - Int64(runs) * 60_000
        var random = SplitMix64(seed: 42)
        var batch: [RunRecord] = []
        batch.reserveCapacity(10_000)
        for n in 0..<runs {
            let t = base + Int64(n) * 60_000
            let paths = layout.run(ISOTime.runIDStem(millis: t))
            var r = RunRecord(runID: paths.runID, script: "strategy.py",
                              params: ["fast": .int(Int64(5 + random.below(10) * 5)), "slow": .int(Int64(50 + random.below(16) * 10)),
                                       "strategy": .string(["sma", "ema", "breakout"][random.below(3)])],
                              status: statuses[n % 5], createdAt: t, runDir: paths.runDir, outputDir: paths.results)
            r.startedAt = t + 3
            r.completedAt = t + 2500
            r.exitCode = r.status == .failed ? 3 : 0
            r.tags = n % 7 == 0 ? ["nightly"] : []
            if r.status == .completed {
                r.metrics = ["sharpe": .double(random.unit() * 3 - 1), "total_return": .double(random.unit() - 0.3),
                             "max_drawdown": .double(random.unit() * 0.5), "trades": .int(Int64(random.below(500)))]
            }
            batch.append(r)
            if batch.count == 10_000 { index.upsert(batch); batch.removeAll(keepingCapacity: true) }
        }
        index.upsert(batch)
        return index
    }

}
