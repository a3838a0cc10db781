import Base
import Foundation
import JSON
import Validation

#if canImport(Glibc)
import Glibc
#endif

/// `backtest-bench validation`: validates a 1,000,000-trade output set (about 70 MB) with the backtest profile and
/// prints wall time and peak memory, next to `wc -l` over the same files as the floor for "reading the bytes".
/// Targets (release build, 2 cores): under 0.2 s and under 50 MB peak.
///
/// Options: `--dir DIR` (default: $TMPDIR/backtest-bench-validation-1m, reused if complete), `--regenerate`,
/// `--repeat N` (default 5; the best and the median are printed), `--fixtures PATH` (make_outputs.py; default
/// the repo's Tests/Fixtures/make_outputs.py or $FIXTURES_DIR/make_outputs.py).
enum ValidationBench {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(arguments: [String]) throws {
        var dir = temporary("backtest-bench-validation-1m")
        var repeats = 5
        var regenerate = false
        var fixtures = ProcessInfo.processInfo.environment["FIXTURES_DIR"].map { $0 + "/make_outputs.py" }
            ?? CaptureBench.repoFixtures() + "/make_outputs.py"
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--dir": dir = try value()
            case "--repeat": repeats = max(1, Int(try value()) ?? 5)
            case "--regenerate": regenerate = true
            case "--fixtures": fixtures = try value()
            default: throw Failure(description: "unknown option \(option) (options: --dir, --repeat, --regenerate, --fixtures)")
            }
        }

        let files = ["trades.csv", "pnl.csv", "summary.csv"].map { dir + "/" + $0 }
        let marker = dir + "/.bench-complete"
        if regenerate || !FileManager.default.fileExists(atPath: marker) {
            print("generating 1,000,000 trades over 5,000 days into \(dir) ...")
            try? FileManager.default.removeItem(atPath: dir)
            let t = ContinuousClock.now
            let status = try runProcess("/usr/bin/env", ["python3", fixtures, dir, "--trades", "1000000", "--days", "5000", "--quiet"])
            guard status == 0 else { throw Failure(description: "make_outputs.py failed (exit \(status)); is \(fixtures) right? (--fixtures)") }
            _ = FileManager.default.createFile(atPath: marker, contents: Data())
            print("  generated in \(seconds(ContinuousClock.now - t)) s")
        } else {
            print("reusing \(dir) (--regenerate to rebuild)")
        }
        let bytes = files.reduce(Int64(0)) { sum, f in
            sum + ((try? FileManager.default.attributesOfItem(atPath: f)[.size] as? NSNumber)??.int64Value ?? 0)
        }
        print("files: trades.csv, pnl.csv, summary.csv: \(String(format: "%.1f", Double(bytes) / 1e6)) MB")

        // Warm the page cache, then time the floor.
        _ = try runProcess("/usr/bin/wc", ["-l"] + files, quiet: true)
        var wcTimes: [Double] = []
        for _ in 0..<repeats {
            let t = ContinuousClock.now
            _ = try runProcess("/usr/bin/wc", ["-l"] + files, quiet: true)
            wcTimes.append(seconds(ContinuousClock.now - t))
        }

        let context = ValidationContext(resultsDir: dir, runDir: nil, params: ["capital": 1_000_000])
        var report: ValidationReport?
        var cpuTimes: [Double] = []
        func measure(_ config: ValidationConfig) throws -> [Double] {
            var times: [Double] = []
            var cpu: [Double] = []
            for _ in 0..<repeats {
                let c = cpuSeconds()
                let t = ContinuousClock.now
                report = try Validator.validate(profile: "backtest", config: config, context: context)
                times.append(seconds(ContinuousClock.now - t))
                cpu.append(cpuSeconds() - c)
            }
            cpuTimes = cpu
            return times
        }
        var serial = ValidationConfig()
        serial.parallelRead = false
        let serialTimes = try measure(serial)
        let serialCPU = cpuTimes
        let times = try measure(ValidationConfig())
        let parallelCPU = cpuTimes
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024  // Linux reports kilobytes

        guard let report else { return }
        let rows = report.fileChecks["trades.csv"]?.rowCount ?? -1
        print("validation (backtest profile): valid=\(report.valid), \(report.errors.count) errors, \(report.warnings.count) warnings, \(rows) trade rows")
        for w in report.warnings { print("  warning: \(w.message)") }
        for e in report.errors { print("  error: \(e.message)") }
        print(line("wc -l (baseline)", wcTimes))
        print(line("validate, one reader", serialTimes) + cpuNote(serialCPU))
        print(line("validate, trades.csv in two halves", times) + cpuNote(parallelCPU))
        print(String(format: "peak memory (ru_maxrss of this process): %.1f MB   target < 50 MB", peakMB))
        let best = times.min() ?? 0
        print(String(format: "target < 0.200 s: %@", best < 0.2 ? "met" : "NOT met"))
        print("for scale (issue 4): a pandas-based validator takes 0.84 s and 410 MB on this kind of machine")
    }

    static func line(_ label: String, _ times: [Double]) -> String {
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        return String(format: "%@: best %.3f s, median %.3f s (%d runs)", label.padding(toLength: 38, withPad: " ", startingAt: 0),
                      sorted[0], median, times.count)
    }

    /// User + system CPU time of this process so far: less sensitive than wall time to other load on the machine.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    static func cpuNote(_ cpu: [Double]) -> String {
        String(format: "; CPU best %.3f s", cpu.min() ?? 0)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Runs a tool to completion with `ProcessSpawner` (Foundation's Process costs ~50 ms per wait, more than
    /// `wc -l` itself); `quiet` sends its output to /dev/null. Returns the exit status as a shell reports it.
    static func runProcess(_ path: String, _ args: [String], quiet: Bool = false) throws -> Int32 {
        switch ProcessSpawner.spawn(executable: path, argv: [path] + args, environment: ProcessEnvironment.current(), cwd: nil,
                                    stdin: 0, stdout: quiet ? -1 : 1, stderr: 2) {
        case .failure(let e): throw Failure(description: "cannot start \(path): \(e)")
        case .success(let pid): return ExitStatus(waitStatus: CaptureBench.wait(pid)).shellCode
        }
    }

    /// Where the bench keeps its generated files.
    static func temporary(_ name: String) -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        return (base.hasSuffix("/") ? base : base + "/") + name
    }
}
