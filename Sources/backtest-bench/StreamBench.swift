import BacktestCore
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
            let t0 = CaptureBench.now()
            _ = CaptureBench.wait(try CaptureBench.spawn(python, [python, scripts + "/log_flood.py", "--lines", String(lines)], stdout: fd))
            baseline.append(CaptureBench.now() - t0)
            close(fd)
            unlink(out)
            streamed.append(try streamOnce(binary: binary, root: root, lines: lines))
        }
        let b = CaptureBench.median(baseline), s = CaptureBench.median(streamed)
        print("log_flood.py --lines \(lines)                    median     min")
        print("  baseline: script writing to a file       \(CaptureBench.ms(b))  \(CaptureBench.ms(baseline.min()!))")
        print("  run -> final run/status, all lines read  \(CaptureBench.ms(s))  \(CaptureBench.ms(streamed.min()!))")
        print("  ratio                                    \(CaptureBench.fmt(s / b, 2))x   (target < 2x)")
    }

    /// One run through a fresh server; returns seconds from the request to the final status. Throws unless
    /// every line arrived exactly once and in order.
    static func streamOnce(binary: String, root: String, lines: Int) throws -> Double {
        var toServer: [Int32] = [-1, -1], fromServer: [Int32] = [-1, -1]
        pipe(&toServer); pipe(&fromServer)
        var env: [String: String] = ["PATH": "/usr/bin:/bin"]
        if let h = getenv("HOME") { env["HOME"] = String(cString: h) }
        guard case .success(let pid) = ProcessSpawner.spawn(
            executable: binary, argv: [binary, "--workspace", root], environment: env, cwd: root,
            stdin: toServer[0], stdout: fromServer[1]) else { throw CaptureBench.Failure(description: "cannot start the server") }
        close(toServer[0]); close(fromServer[1])
        let request = #"{"jsonrpc":"2.0","id":1,"method":"run","params":{"script":"log_flood.py","params":{"lines":\#(lines)}}}"# + "\n"
        let t0 = CaptureBench.now()
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
        let elapsed = CaptureBench.now() - t0
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
        var i = hay.startIndex
        while i + needle.count <= hay.endIndex {
            if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// The numbers after each `{"seq":` of a run/log frame, in order.
    static func seqs(_ frame: ArraySlice<UInt8>) -> [Int] {
        var out: [Int] = []
        var i = frame.startIndex
        let end = frame.endIndex
        while i + seqKey.count < end {
            if frame[i] == 123, frame[i..<(i + seqKey.count)].elementsEqual(seqKey) {
                i += seqKey.count
                var v = 0
                while i < end, frame[i] >= 48, frame[i] <= 57 { v = v * 10 + Int(frame[i] - 48); i += 1 }
                out.append(v)
            } else { i += 1 }
        }
        return out
    }
}
