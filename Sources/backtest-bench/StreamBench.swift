import BacktestCore
import Base
import CSystem
import Foundation
import Glibc
import JSON

/// The whole path a client sees: `run` of log_flood.py through the server binary, a client that reads as
/// fast as it can, until the final `run/status`. Checks that all lines arrived, in order, and compares with
/// the script writing the same lines to a file (the issue's baseline), in the same run.
enum StreamBench {
    static func run(arguments: [String]) throws {
        var lines = 1_000_000, repeats = 3
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--lines" where i + 1 < arguments.count: i += 1; lines = Int(arguments[i]) ?? lines
            case "--repeat" where i + 1 < arguments.count: i += 1; repeats = Int(arguments[i]) ?? repeats
            default: throw CaptureBench.Failure(description: "unknown option \(arguments[i])")
            }
            i += 1
        }
        let binary = CaptureBench.rpcBinary()
        let scripts = CaptureBench.defaultScripts()
        let python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"
        let root = try CaptureBench.makeTempDir()
        defer { CaptureBench.removeTree(root) }
        // log_flood writes no outputs: a profile that requires none lets the run complete.
        let config = #"{"scripts_dir": "\#(scripts)", "interpreters": {".py": ["\#(python)"]}, "profiles": {"any": {"check_log": false, "files": {"anything.csv": {"required": false}}}}, "validation": {"default_profile": "any"}}"#
        do { try AtomicFile.write(Array(config.utf8), to: root + "/backtest-rpc.json") } catch {
            throw CaptureBench.Failure(description: "\(error)")
        }
        print("stream bench: \(binary), \(lines) lines, \(repeats) repeats")

        var baseline: [Double] = [], streamed: [Double] = []
        for r in 0..<repeats {
            let out = root + "/baseline-\(r).log"
            let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            let t0 = MonotonicTime.now()
            _ = CaptureBench.wait(try CaptureBench.spawn(python, [python, scripts + "/log_flood.py", "--lines", String(lines)], stdout: fd))
            baseline.append(MonotonicTime.now() - t0)
            close(fd)
            unlink(out)
            streamed.append(try streamOnce(binary: binary, root: root, lines: lines))
        }
        let b = CaptureBench.median(baseline), s = CaptureBench.median(streamed)
        print("log_flood.py --lines \(lines)                    median     min")
        print("  baseline: script writing to a file       \(CaptureBench.ms(b))  \(CaptureBench.ms(baseline.min()!))")
        print("  run -> final run/status, all lines read  \(CaptureBench.ms(s))  \(CaptureBench.ms(streamed.min()!))")
        print("  ratio                                    \(CaptureBench.fmt(s / b, 2))x   (target < 2x)")
        // Its own workspace: the flood's config points the scripts dir at the fixtures.
        let spawnRoot = root + "/spawn"
        mkdir(spawnRoot, 0o755)
        try spawnLatency(binary: binary, root: spawnRoot)
    }

    /// Request → script start, as a client sees it: the script is `sh` exec-ing `date +%s%N`, whose output
    /// comes back as the run's first log line. The floor is the same `sh` + `date` started directly, so the
    /// difference is what the server and the supervisor add before the script runs.
    static func spawnLatency(binary: String, root: String, samples: Int = 30) throws {
        let script = root + "/stamp.sh"
        do { try AtomicFile.write(Array("#!/bin/sh\nexec /bin/date +%s%N\n".utf8), to: script, mode: 0o755) } catch {
            throw CaptureBench.Failure(description: "\(error)")
        }
        var floor: [Double] = []
        for _ in 0..<samples {
            var p: [Int32] = [-1, -1]
            pipe(&p)
            let t0 = CaptureBench.wallNanos()
            let pid = try CaptureBench.spawn(script, [script], stdout: p[1])
            close(p[1])
            let text = CaptureBench.readAll(p[0])
            close(p[0])
            _ = CaptureBench.wait(pid)
            if let t = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) { floor.append(Double(t - t0) / 1e6) }
        }
        let (pid, toServer, fromServer) = try startServer(binary: binary, root: root)
        var reader = FrameReader(fd: fromServer[0])
        var viaServer: [Double] = []
        _ = #"{"jsonrpc":"2.0","id":0,"method":"health"}"#.withCString { write(toServer[1], $0, strlen($0)) }
        _ = write(toServer[1], "\n", 1)
        _ = try reader.next { $0["id"].intValue == 0 }
        for k in 1...samples {
            let request = #"{"jsonrpc":"2.0","id":\#(k),"method":"run","params":{"script":"stamp.sh"}}"# + "\n"
            let t0 = CaptureBench.wallNanos()
            _ = request.withCString { write(toServer[1], $0, strlen($0)) }
            let log = try reader.next { frame in
                if frame["id"].intValue == k, !frame["error"].isNull {
                    throw CaptureBench.Failure(description: "run refused: \(JSONWriter.string(frame["error"]))")
                }
                return frame["method"].stringValue == "run/log"
            }
            if let text = log["params"]["lines"][0]["text"].stringValue, let t = Int64(text) {
                viaServer.append(Double(t - t0) / 1e6)
            }
            _ = try reader.next { $0["method"].stringValue == "run/status" && ["completed", "failed"].contains($0["params"]["status"].stringValue ?? "") }
        }
        close(toServer[1])
        _ = CaptureBench.wait(pid)
        close(fromServer[0])
        let f = CaptureBench.median(floor), v = CaptureBench.median(viaServer)
        print("")
        print("request -> script start (\(samples) samples)        median       p90")
        print("  sh + date started directly (floor)       \(CaptureBench.ms3(f))  \(CaptureBench.ms3(CaptureBench.percentile(floor, 0.9)))")
        print("  run request -> date inside the script    \(CaptureBench.ms3(v))  \(CaptureBench.ms3(CaptureBench.percentile(viaServer, 0.9)))")
        print("  added by server + supervisor             \(CaptureBench.ms3(v - f))   (target < 5 ms)")
    }

    /// Starts the server on a workspace; returns its pid, the descriptor to write requests to and the one
    /// to read its output from.
    static func startServer(binary: String, root: String, extraEnv: [String: String] = [:]) throws -> (pid_t, [Int32], [Int32]) {
        var toServer: [Int32] = [-1, -1], fromServer: [Int32] = [-1, -1]
        pipe(&toServer); pipe(&fromServer)
        var env: [String: String] = ["PATH": "/usr/bin:/bin"]
        if let h = getenv("HOME") { env["HOME"] = String(cString: h) }
        for (k, v) in extraEnv { env[k] = v }
        guard case .success(let pid) = ProcessSpawner.spawn(
            executable: binary, argv: [binary, "--workspace", root], environment: env, cwd: root,
            stdin: toServer[0], stdout: fromServer[1]) else { throw CaptureBench.Failure(description: "cannot start the server") }
        close(toServer[0]); close(fromServer[1])
        return (pid, toServer, fromServer)
    }

    /// Reads NDJSON frames from the server, one at a time.
    struct FrameReader {
        let fd: Int32
        var pending: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        /// The next frame for which `matching` holds (others are skipped).
        mutating func next(_ matching: (JSONValue) throws -> Bool) throws -> JSONValue {
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                while let nl = pending.firstIndex(of: 10) {
                    let frame = try JSONParser.parse(Array(pending[..<nl]))
                    pending.removeFirst(nl + 1)
                    if try matching(frame) { return frame }
                }
                let n = read(fd, &buf, buf.count)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; throw CaptureBench.Failure(description: "the server closed its output") }
                pending += buf[0..<n]
            }
        }
    }

    /// One run through a fresh server; returns seconds from the request to the final status. Throws unless
    /// every line arrived exactly once and in order.
    static func streamOnce(binary: String, root: String, lines: Int) throws -> Double {
        let (pid, toServer, fromServer) = try startServer(binary: binary, root: root)
        let request = #"{"jsonrpc":"2.0","id":1,"method":"run","params":{"script":"log_flood.py","params":{"lines":\#(lines)}}}"# + "\n"
        let t0 = MonotonicTime.now()
        _ = request.withCString { write(toServer[1], $0, strlen($0)) }

        var nextSeq = 0, pending: [UInt8] = [], ended = false
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        reading: while !ended {
            let n = read(fromServer[0], &buf, buf.count)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
            pending += buf[0..<n]
            var start = 0
            while let nl = pending[start...].firstIndex(of: 10) {
                let frame = pending[start..<nl]
                start = nl + 1
                // A fast client: log frames are scanned for their seq numbers, not parsed into trees.
                if frame.starts(with: logPrefix) {
                    if contains(frame, droppedKey) { throw CaptureBench.Failure(description: "lines were dropped") }
                    for seq in seqs(frame) {
                        guard seq == nextSeq else {
                            throw CaptureBench.Failure(description: "line \(seq) arrived where \(nextSeq) was due")
                        }
                        nextSeq += 1
                    }
                    continue
                }
                let v = try JSONParser.parse(Array(frame))
                if v["method"].stringValue == "run/status" {
                    let st = v["params"]["status"].stringValue ?? ""
                    if ["completed", "failed", "cancelled"].contains(st) {
                        if st != "completed" { throw CaptureBench.Failure(description: "the run ended \(st)") }
                        ended = true
                        break reading
                    }
                }
            }
            pending.removeFirst(start)
        }
        let elapsed = MonotonicTime.now() - t0
        close(toServer[1])
        _ = CaptureBench.wait(pid)
        close(fromServer[0])
        guard nextSeq == lines else { throw CaptureBench.Failure(description: "received \(nextSeq) of \(lines) lines") }
        return elapsed
    }

    static let logPrefix = Array(#"{"jsonrpc":"2.0","method":"run/log""#.utf8)
    static let droppedKey = Array(#""dropped":"#.utf8)
    static let seqKey = Array(#"{"seq":"#.utf8)

    static func contains(_ hay: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        hay.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in csys_memmem(h.baseAddress, h.count, n.baseAddress, n.count) != nil }
        }
    }

    /// The numbers after each `{"seq":` of a run/log frame, in order (memmem: a fast client's cost).
    static func seqs(_ frame: ArraySlice<UInt8>) -> [Int] {
        var out: [Int] = []
        frame.withUnsafeBytes { h in
            seqKey.withUnsafeBytes { n in
                guard var p = h.baseAddress else { return }
                let end = h.baseAddress! + h.count
                while let hit = csys_memmem(p, end - p, n.baseAddress, n.count) {
                    var q = hit + n.count
                    var v = 0
                    while q < end, q.load(as: UInt8.self) >= 48, q.load(as: UInt8.self) <= 57 {
                        v = v * 10 + Int(q.load(as: UInt8.self) - 48); q += 1
                    }
                    out.append(v)
                    p = q
                }
            }
        }
        return out
    }
}
