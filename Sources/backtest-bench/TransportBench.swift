import CSystem
import Dispatch
import Foundation
import Glibc

/// `backtest-bench transport`: the JSON-RPC transport through the RELEASE `backtest-rpc` binary.
///
/// - throughput: N `health` requests written as fast as the pipe takes them (NDJSON, one writer thread)
///   while the main thread counts answer lines; requests/s from the first byte written to the last line read;
/// - latency: one request, wait for its answer, repeat; median / p90 / p99 of the round trips;
/// - baseline, in the same run: the same lines through `cat` (a process that does nothing but copy), the
///   floor any pipe-based server sits on.
///
/// Options: `--count N` (200000), `--latency N` (5000), `--binary PATH` (else `$BACKTEST_RPC_BIN`, else
/// `backtest-rpc` next to this executable).
enum TransportBench {
    static let throughputTarget = 100_000.0
    static let medianTargetMicros = 100.0

    static func run(arguments: [String]) throws {
        var count = 200_000
        var latencyCount = 5_000
        var binary: String?
        var i = 0
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--count": count = Int(value) ?? count; i += 1
            case "--latency": latencyCount = Int(value) ?? latencyCount; i += 1
            case "--binary": binary = value; i += 1
            default: throw BenchError("unknown option \(arguments[i]) (use --count N --latency N --binary PATH)")
            }
            i += 1
        }
        let server = try binary ?? locateServer()
        let workspace = NSTemporaryDirectory() + "/backtest-bench-transport-\(getpid())"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: workspace) }

        print("binary: \(server)")
        print("requests: \(count) pipelined, \(latencyCount) round trips; machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")

        let rpc = try Child(path: server, arguments: ["--workspace", workspace], cwd: workspace)
        // Warm up (workspace opening, first allocations), and check that health really answers.
        let first = try rpc.roundTrip(request(id: 0))
        guard first.contains("\"result\"") else { throw BenchError("health did not answer a result: \(first)") }
        _ = try rpc.pipelined(lines(count: 2_000))
        let rpcThroughput = try rpc.pipelined(lines(count: count))
        let rpcLatency = try rpc.latencies(count: latencyCount) { request(id: $0) }
        rpc.finish()

        let cat = try Child(path: "/bin/cat", arguments: [], cwd: workspace)
        _ = try cat.pipelined(lines(count: 2_000))
        let catThroughput = try cat.pipelined(lines(count: count))
        let catLatency = try cat.latencies(count: latencyCount) { request(id: $0) }
        cat.finish()

        func row(_ name: String, _ perSecond: Double, _ lat: [Double]) -> String {
            let s = lat.sorted()
            func pct(_ p: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))] }
            return name.padding(toLength: 26, withPad: " ", startingAt: 0)
                + pad(String(format: "%.0f", perSecond), 14)
                + pad(String(format: "%.1f", pct(0.5)), 12)
                + pad(String(format: "%.1f", pct(0.9)), 10)
                + pad(String(format: "%.1f", pct(0.99)), 10)
        }
        print("")
        print("".padding(toLength: 26, withPad: " ", startingAt: 0) + pad("requests/s", 14) + pad("median µs", 12)
              + pad("p90 µs", 10) + pad("p99 µs", 10))
        print(row("backtest-rpc health", rpcThroughput, rpcLatency))
        print(row("cat (baseline)", catThroughput, catLatency))
        let median = rpcLatency.sorted()[rpcLatency.count / 2]
        print("")
        print("target ≥ \(Int(throughputTarget)) req/s: \(rpcThroughput >= throughputTarget ? "met" : "NOT MET")"
              + String(format: " (%.1f× cat's time per line)", catThroughput / rpcThroughput))
        print("target median < \(Int(medianTargetMicros)) µs: \(median < medianTargetMicros ? "met" : "NOT MET")")
    }

    static func request(id: Int) -> [UInt8] {
        Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"health\"}\n".utf8)
    }

    static func lines(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count * 48)
        for id in 1...count { out += request(id: id) }
        return out
    }

    static func locateServer() throws -> String {
        if let env = ProcessInfo.processInfo.environment["BACKTEST_RPC_BIN"], !env.isEmpty { return env }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidate = here.appendingPathComponent("backtest-rpc").path
        guard access(candidate, X_OK) == 0 else {
            throw BenchError("\(candidate) not found: run `swift build -c release` (or set BACKTEST_RPC_BIN)")
        }
        if !here.path.contains("release") { print("warning: \(candidate) does not look like a release build") }
        return candidate
    }

    static func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}

/// A child process with its stdin and stdout on pipes, counting answer lines.
private final class Child: @unchecked Sendable {
    let pid: pid_t
    let input: Int32
    let output: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String, arguments: [String], cwd: String) throws {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1]
        guard csys_pipe_cloexec(&inPipe) == 0, csys_pipe_cloexec(&outPipe) == 0 else { throw BenchError("pipe2 failed") }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                cwd.withCString { c in
                    path.withCString { p in
                        var o = csys_spawn_options(path: p, argv: a.baseAddress, envp: e.baseAddress, cwd: c,
                                                   stdin_fd: inPipe[0], stdout_fd: outPipe[1], stderr_fd: -1,
                                                   keep_fds: nil, keep_count: 0, new_session: 0)
                        return csys_spawn(&o, &child)
                    }
                }
            }
        }
        close(inPipe[0]); close(outPipe[1])
        guard rc == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(rc)))") }
        pid = child
        input = inPipe[1]
        output = outPipe[0]
    }

    /// Writes `bytes` from another thread while counting answer lines here; returns lines per second.
    func pipelined(_ bytes: [UInt8]) throws -> Double {
        let expected = bytes.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        let fd = input
        let done = DispatchSemaphore(value: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        Thread {
            bytes.withUnsafeBytes { b in
                var off = 0
                while off < b.count {
                    let n = write(fd, b.baseAddress! + off, min(1 << 16, b.count - off))
                    if n > 0 { off += n } else if errno != EINTR { break }
                }
            }
            done.signal()
        }.start()
        try readLines(expected)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        done.wait()
        return Double(expected) / elapsed
    }

    /// One request at a time; returns each round trip in microseconds.
    func latencies(count: Int, _ request: (Int) -> [UInt8]) throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        for id in 1...count {
            let r = request(id)
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = r.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            try readLines(1)
            out.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        return out
    }

    /// One request, returning its answer line.
    func roundTrip(_ request: [UInt8]) throws -> String {
        _ = request.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        while !line.contains(0x0A) {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("the server closed its output") }
            line += buffer[0..<n]
        }
        return String(decoding: line, as: UTF8.self)
    }

    private func readLines(_ wanted: Int) throws {
        var seen = 0
        while seen < wanted {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("output closed after \(seen) of \(wanted) answers") }
            seen += buffer.withUnsafeBytes { b in
                var c = 0
                var p = b.baseAddress!
                var left = n
                while left > 0, let hit = memchr(p, 0x0A, left) {
                    c += 1
                    let used = p.distance(to: UnsafeRawPointer(hit)) + 1
                    p += used
                    left -= used
                }
                return c
            }
        }
    }

    func finish() {
        close(input)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(output)
    }
}

private struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
