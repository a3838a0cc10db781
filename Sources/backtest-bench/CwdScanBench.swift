import BacktestCore
import Base
import Glibc
import Provenance

/// `backtest-bench cwdscan [--files N] [--iterations K]`: what finding the files a run wrote in its working
/// directory costs per run (target < 5 ms for a scripts dir of 10,000 files): the inotify watches set at the
/// start and the events read at the end (`WorkingDirWatch`), on a tree of N files in 100 directories
/// (plus a `__pycache__` and a `.git` that are skipped), with two files written in between; and the
/// fallback without inotify (two full walks).
enum CwdScanBench {
    static func run(arguments: [String]) throws {
        var files = 10_000, iterations = 50
        try BenchOptions.parse(arguments) { option, value in
            switch option {
            case "--files": files = max(1, Int(try value()) ?? files)
            case "--iterations": iterations = max(1, Int(try value()) ?? iterations)
            default: throw CaptureBench.Failure(description: "unknown option \(option) (options: --files, --iterations)")
            }
        }
        let root = try CaptureBench.makeTempDir("cwdscan-bench")
        defer { _ = CommandRunner.run("rm", ["-rf", root]) }
        let dirs = 100
        for i in 0..<files {
            let dir = root + "/pkg\(i % dirs)"
            if i < dirs { try FileSystem.makeDirectories(dir) }
            try write(dir + "/module\(i).py", "x = \(i)\n")
        }
        for skipped in ["__pycache__", ".git/objects"] {
            try FileSystem.makeDirectories(root + "/" + skipped)
            for i in 0..<200 { try write(root + "/" + skipped + "/f\(i)", "cached\n") }
        }
        _ = WorkingDirSnapshot.take(root: root)  // warm the caches, as a scripts dir in use is

        var times: [Double] = []
        var found = 0
        let listed = WorkingDirSnapshot.take(root: root).files.count
        // The fallback when inotify cannot be used: two full walks, one stat per file each.
        var fallback: [Double] = []
        for _ in 0..<max(3, iterations / 10) {
            let start = MonotonicTime.now()
            let since = WorkingDirSnapshot.coarseNowNanos()
            let before = WorkingDirSnapshot.take(root: root)
            _ = before.changes(root: root, sinceNanos: since)
            fallback.append(MonotonicTime.now() - start)
        }
        fallback.sort()
        for i in 0..<iterations {
            let start = MonotonicTime.now()
            let since = WorkingDirSnapshot.coarseNowNanos()
            let watch = WorkingDirWatch.start(root: root, excluding: [root + "/backtests"], sinceNanos: since)
            let firstLap = MonotonicTime.now() - start
            // "The script": a new plot and a changed file (not timed).
            try write(root + "/plot\(i).html", "<html>\(i)</html>\n")
            try write(root + "/pkg7/module7.py", "x = \(i)\n")
            let second = MonotonicTime.now()
            let changes = watch.finish().changes
            times.append(firstLap + (MonotonicTime.now() - second))
            found = changes.count
            unlink(root + "/plot\(i).html")
            // Let the coarse clock move on, so the next lap does not see this lap's writes as new.
            usleep(10_000)
        }
        times.sort()
        let median = times[times.count / 2] * 1000
        print("cwdscan: \(listed) files in \(dirs) dirs (+400 skipped), watch at start + events at end, \(iterations) runs: "
              + "median \(fmt(median)) ms (min \(fmt(times.first! * 1000)), max \(fmt(times.last! * 1000))), "
              + "\(found) changes found (expected 2); target < 5 ms: \(median < 5 ? "OK" : "MISSED"); "
              + "fallback without inotify (a stat per file, twice): median \(fmt(fallback[fallback.count / 2] * 1000)) ms")
    }

    static func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ProvenanceBench.BenchError.io(path) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else { throw ProvenanceBench.BenchError.io(path) }
    }

    static func fmt(_ v: Double) -> String { String((v * 100).rounded() / 100) }
}
