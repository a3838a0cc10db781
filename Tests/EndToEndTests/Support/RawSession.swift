import Foundation

/// One whole session with the built binary, byte for byte: `input` on its stdin, then end of input; returns
/// all it wrote to stdout and its exit status. For checks on the exact text of answers, which
/// `ServerProcess` cannot make (it parses what it reads, so `2e3` and `2000.0` look alike there).
enum RawSession {
    struct Result {
        let stdout: [UInt8]
        let status: Int32
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `backtest-rpc arguments` on `input`; fails after `timeout` seconds (the server is then killed).
    static func run(_ input: [UInt8], arguments: [String], timeout: Double = 20) throws -> Result {
        let dir = try ServerProcess.makeTemporaryDirectory(prefix: "bt-raw")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inPath = dir + "/stdin", outPath = dir + "/stdout"
        guard FileManager.default.createFile(atPath: inPath, contents: Data(input)),
              FileManager.default.createFile(atPath: outPath, contents: nil) else {
            throw ServerProcess.Failure(description: "cannot create the session's files in \(dir)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try ServerProcess.binaryPath())
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardInput = FileHandle(forReadingAtPath: inPath)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while p.isRunning, Date() < deadline { usleep(5_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            throw ServerProcess.Failure(description: "backtest-rpc \(arguments) did not end within \(timeout) s of end of input")
        }
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        return Result(stdout: [UInt8](out), status: p.terminationStatus)
    }
}
