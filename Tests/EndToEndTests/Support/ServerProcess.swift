import CSystem
import Foundation
import Glibc
import JSON

/// The built `backtest-rpc` binary running as a child process, driven like a real client drives it: requests
/// go to its stdin (NDJSON or LSP framing), frames come back from its stdout, stderr is collected.
///
/// Everything is event-driven: background threads read stdout and stderr with blocking `read(2)` and reap
/// the process with `waitpid`; the `wait…` methods sleep on a condition variable until what they wait for
/// has arrived or the timeout passes (then they throw, with the tail of stderr to explain). No sleeps.
///
/// Frames form a queue: `nextFrame()` takes the oldest frame not taken yet; `waitForResponse` and
/// `waitForNotification` take the oldest matching one. `frames` and `notifications(matching:)` list
/// everything received, taken or not.
///
/// Finding the binary: `$BACKTEST_RPC_BIN` if set, else `backtest-rpc` next to the test bundle
/// (`.build/<config>/`), which `swift build` / `swift test` produce.
///
/// ```swift
/// let server = try ServerProcess(arguments: ["--debug-methods"], workingDirectory: dir)
/// let health = try server.result("health")
/// try server.closeStdin()
/// XCTAssertEqual(try server.waitForExit(), 0)
/// ```
final class ServerProcess: @unchecked Sendable {
    /// How requests are framed on stdin (replies come back the same way).
    enum Framing: Sendable { case ndjson, lsp }

    /// Why a helper call failed: a timeout, an error answer, a dead process.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let pid: pid_t
    let framing: Framing
    let executable: String

    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var stdinFD: Int32
    private var received: [JSONValue] = []
    private var taken: [Bool] = []
    private var garbage: [String] = []
    private var stdoutClosed = false
    private var stderrBytes: [UInt8] = []
    private var stderrClosed = false
    private var exitStatus: Int32?
    private var readingPaused = false
    private var nextID: Int64 = 1

    /// Launches the server.
    /// - Parameters:
    ///   - arguments: after the program name (e.g. `["--strict"]`, `["--framing", "lsp"]`).
    ///   - environment: set on top of this process's environment (or alone, if `inheritEnvironment` is false).
    ///   - workingDirectory: the child's current directory; nil inherits ours.
    ///   - framing: how `send`/`request` frame messages.
    ///   - binary: overrides `ServerProcess.binaryPath()`.
    init(arguments: [String] = [], environment: [String: String] = [:], inheritEnvironment: Bool = true,
         workingDirectory: String? = nil, framing: Framing = .ndjson, binary: String? = nil) throws {
        // A write to a server that died must fail with EPIPE, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        executable = try binary ?? Self.binaryPath()
        self.framing = framing

        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        for (k, v) in environment { env[k] = v }

        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        // close-on-exec on our ends: other tests spawning in parallel must not inherit them (a stray copy
        // of the stdin write end would hide EOF from the server forever).
        guard csys_pipe_cloexec(&inPipe) == 0, csys_pipe_cloexec(&outPipe) == 0, csys_pipe_cloexec(&errPipe) == 0 else {
            throw Failure(description: "pipe2 failed: errno \(errno)")
        }
        let argv = CStrings([executable] + arguments)
        let envp = CStrings(env.map { "\($0.key)=\($0.value)" }.sorted())
        var child: pid_t = 0
        let rc: Int32 = executable.withCString { path in
            let cwd = workingDirectory.map { strdup($0) } ?? nil
            defer { free(cwd) }
            var o = csys_spawn_options(path: path, argv: argv.pointer, envp: envp.pointer, cwd: cwd,
                                       stdin_fd: inPipe[0], stdout_fd: outPipe[1], stderr_fd: errPipe[1],
                                       keep_fds: nil, keep_count: 0, new_session: 0)
            return csys_spawn(&o, &child)
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]
        startStdoutReader(outPipe[0])
        startStderrReader(errPipe[0])
        startReaper()
    }

    /// A server still running when its helper goes away is killed (SIGKILL), so tests never leak servers.
    deinit {
        condition.lock()
        if exitStatus == nil { _ = Glibc.kill(pid, SIGKILL) }
        if stdinFD >= 0 { close(stdinFD) }
        condition.unlock()
    }

    /// Where the binary is: `$BACKTEST_RPC_BIN`, else next to the test bundle in `.build/<config>/`.
    static func binaryPath() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["BACKTEST_RPC_BIN"], !explicit.isEmpty { return explicit }
        var dirs: [String] = []
        let argv0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        dirs.append(argv0.deletingLastPathComponent().path)
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() { dirs.append(exe.deletingLastPathComponent().path) }
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        dirs.append(Bundle.main.bundleURL.path)
        for dir in dirs {
            // On macOS the bundle is .../debug/X.xctest/Contents/MacOS: walk up to the build directory too.
            var d = URL(fileURLWithPath: dir)
            for _ in 0..<4 {
                let candidate = d.appendingPathComponent("backtest-rpc").path
                if access(candidate, X_OK) == 0 { return candidate }
                d.deleteLastPathComponent()
            }
        }
        throw Failure(description: "backtest-rpc not found next to the tests (looked in \(dirs)); "
                      + "run `swift build` first or set BACKTEST_RPC_BIN")
    }

    /// A fresh empty directory under the system temp dir, for a server's workspace.
    static func makeTemporaryDirectory(prefix: String = "backtest-rpc-test") throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(description: "mkdtemp failed: errno \(errno)")
        }
        return String(cString: p)
    }

    // MARK: - Sending

    /// Writes one message, framed the session's way.
    func send(_ message: JSONValue) throws {
        let body = JSONWriter.encode(message)
        switch framing {
        case .ndjson: try sendRaw(body + [0x0A])
        case .lsp: try sendRaw(Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
        }
    }

    /// Writes bytes exactly as given (for malformed input and framing tests).
    func sendRaw(_ bytes: [UInt8]) throws {
        let fd = condition.withLock { stdinFD }
        guard fd >= 0 else { throw Failure(description: "stdin is closed") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "write to server stdin failed: \(String(cString: strerror(errno)))\(stderrTail)") }
            offset += n
        }
    }

    func sendRaw(_ text: String) throws { try sendRaw(Array(text.utf8)) }

    /// Sends a notification.
    func notify(_ method: String, _ params: JSONValue? = nil) throws {
        var o: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { o["params"] = params }
        try send(.object(o))
    }

    /// Sends a request with a fresh integer id and returns the whole response object (`result` or `error`).
    @discardableResult
    func request(_ method: String, _ params: JSONValue? = nil, timeout: Double = 10) throws -> JSONValue {
        let id = try sendRequest(method, params)
        return try waitForResponse(id: id, timeout: timeout)
    }

    /// Like `request`, but returns `result` and throws `Failure` when the answer is an error.
    @discardableResult
    func result(_ method: String, _ params: JSONValue? = nil, timeout: Double = 10) throws -> JSONValue {
        let r = try request(method, params, timeout: timeout)
        guard let o = r.objectValue, let result = o["result"] else {
            throw Failure(description: "\(method) answered an error: \(JSONWriter.string(r["error"]))")
        }
        return result
    }

    /// Sends a request without waiting; returns its id for `waitForResponse`.
    func sendRequest(_ method: String, _ params: JSONValue? = nil, id: JSONValue? = nil) throws -> JSONValue {
        let rid = id ?? condition.withLock { () -> JSONValue in
            defer { nextID += 1 }
            return .int(nextID)
        }
        var o: JSONObject = ["jsonrpc": "2.0", "id": rid, "method": .string(method)]
        if let params { o["params"] = params }
        try send(.object(o))
        return rid
    }

    /// Closes the server's stdin (EOF).
    func closeStdin() {
        condition.withLock {
            if stdinFD >= 0 { close(stdinFD) }
            stdinFD = -1
        }
    }

    /// Sends a signal to the server process.
    func kill(_ signal: Int32 = SIGTERM) {
        _ = Glibc.kill(pid, signal)
    }

    // MARK: - Receiving

    /// Takes the oldest frame not taken yet (response, notification, or a batch answer array).
    @discardableResult
    func nextFrame(timeout: Double = 10) throws -> JSONValue {
        try take(timeout: timeout, what: "a frame") { _ in true }
    }

    /// Takes the response (an object with this id and no method).
    @discardableResult
    func waitForResponse(id: JSONValue, timeout: Double = 10) throws -> JSONValue {
        try take(timeout: timeout, what: "the response to id \(JSONWriter.string(id))") {
            $0["id"] == id && $0.objectValue?["method"] == nil && $0.objectValue != nil
        }
    }

    /// Takes the oldest notification `method` for which `predicate` holds (it may have arrived already).
    @discardableResult
    func waitForNotification(_ method: String, timeout: Double = 10,
                             where predicate: @escaping (JSONValue) -> Bool = { _ in true }) throws -> JSONValue {
        try take(timeout: timeout, what: "a \(method) notification") {
            $0["method"] == .string(method) && $0.objectValue?["id"] == nil && predicate($0)
        }
    }

    /// Takes the oldest frame for which `predicate` holds.
    @discardableResult
    func waitForFrame(timeout: Double = 10, what: String = "a matching frame",
                      where predicate: @escaping (JSONValue) -> Bool) throws -> JSONValue {
        try take(timeout: timeout, what: what, predicate)
    }

    /// Stops reading the server's stdout, like a client that has stopped reading: once the pipe buffer
    /// (64 KB) is full the server's writes block. A read already under way still delivers its chunk.
    /// Requests can still be sent (`sendRequest`); their answers arrive after `resumeReading()`.
    func pauseReading() {
        update { $0.readingPaused = true }
    }

    /// Reads the server's stdout again (see `pauseReading`).
    func resumeReading() {
        update { $0.readingPaused = false }
    }

    /// Every notification `method` received so far (taken or not), in arrival order.
    func notifications(matching method: String) -> [JSONValue] {
        condition.withLock { received.filter { $0["method"] == .string(method) && $0.objectValue?["id"] == nil } }
    }

    /// Every frame received so far, in arrival order.
    var frames: [JSONValue] { condition.withLock { received } }

    /// Anything on stdout that was not a well-formed frame of the session's framing. Must stay empty: the
    /// protocol stream carries frames only.
    var stdoutGarbage: [String] { condition.withLock { garbage } }

    /// Everything the server wrote to stderr so far.
    var stderr: String { condition.withLock { String(decoding: stderrBytes, as: UTF8.self) } }

    /// Waits until stderr contains `text`.
    func waitForStderr(containing text: String, timeout: Double = 10) throws {
        let ok = waitUntil(timeout: timeout) { String(decoding: $0.stderrBytes, as: UTF8.self).contains(text) }
        if !ok { throw Failure(description: "stderr never contained \"\(text)\" within \(timeout) s\(stderrTail)") }
    }

    /// Waits until stdout has been closed by the server (it exited or closed the stream).
    func waitForStdoutClosed(timeout: Double = 10) throws {
        if !waitUntil(timeout: timeout, { $0.stdoutClosed }) {
            throw Failure(description: "stdout still open after \(timeout) s\(stderrTail)")
        }
    }

    /// Waits for the process to end; returns its exit code, or 128 + the signal that killed it.
    @discardableResult
    func waitForExit(timeout: Double = 10) throws -> Int32 {
        guard waitUntil(timeout: timeout, { $0.exitStatus != nil }) else {
            throw Failure(description: "backtest-rpc (pid \(pid)) still running after \(timeout) s\(stderrTail)")
        }
        // Let the readers drain what the process wrote before it died.
        _ = waitUntil(timeout: 2) { $0.stdoutClosed && $0.stderrClosed }
        return condition.withLock { exitStatus! }
    }

    var isRunning: Bool { condition.withLock { exitStatus == nil } }

    // MARK: - Internals

    private var stderrTail: String {
        let text = stderr
        return text.isEmpty ? "" : "\n--- server stderr (tail) ---\n" + String(text.suffix(2000))
    }

    private func take(timeout: Double, what: String, _ predicate: @escaping (JSONValue) -> Bool) throws -> JSONValue {
        var found: JSONValue?
        let ok = waitUntil(timeout: timeout) { s in
            for i in s.received.indices where !s.taken[i] && predicate(s.received[i]) {
                s.taken[i] = true
                found = s.received[i]
                return true
            }
            return false
        }
        if ok, let found { return found }
        let state = condition.withLock { exitStatus.map { " (server exited with \($0))" } ?? "" }
        throw Failure(description: "no \(what) within \(timeout) s\(state)\(stderrTail)")
    }

    /// Sleeps on the condition until `ready` holds (checked under the lock) or the timeout passes.
    private func waitUntil(timeout: Double, _ ready: (ServerProcess) -> Bool) -> Bool {
        // NSCondition.wait(until: .distantFuture) traps on Linux (the time overflows): "forever" is a day.
        let deadline = Date(timeIntervalSinceNow: timeout.isFinite ? timeout : 86_400)
        condition.lock()
        defer { condition.unlock() }
        while !ready(self) {
            if !condition.wait(until: deadline) { return ready(self) }
        }
        return true
    }

    private func update(_ change: (ServerProcess) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    private func startStdoutReader(_ fd: Int32) {
        let framing = self.framing
        Thread { [weak self] in
            var splitter = FrameSplitter(framing: framing)
            readAll(fd, beforeRead: { _ = self?.waitUntil(timeout: .infinity) { !$0.readingPaused } }) { chunk in
                let (frames, junk) = splitter.feed(chunk)
                self?.deliver(frames, junk)
            }
            let junk = splitter.finish()
            self?.deliver([], junk)
            self?.update { $0.stdoutClosed = true }
            close(fd)
        }.start()
    }

    private func deliver(_ frames: [[UInt8]], _ junk: [String]) {
        if frames.isEmpty && junk.isEmpty { return }
        update { s in
            s.garbage += junk
            for f in frames {
                if let v = try? JSONParser.parse(f) {
                    s.received.append(v)
                    s.taken.append(false)
                } else {
                    s.garbage.append(String(decoding: f, as: UTF8.self))
                }
            }
        }
    }

    private func startStderrReader(_ fd: Int32) {
        Thread { [weak self] in
            readAll(fd) { chunk in self?.update { $0.stderrBytes += chunk } }
            self?.update { $0.stderrClosed = true }
            close(fd)
        }.start()
    }

    private func startReaper() {
        let pid = self.pid
        Thread { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the macros are not visible from Swift.
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            self?.update { $0.exitStatus = code }
        }.start()
    }
}

/// Blocking `read(2)` until end of file, handing over each chunk.
private func readAll(_ fd: Int32, beforeRead: () -> Void = {}, _ body: ([UInt8]) -> Void) {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        beforeRead()
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 { body(Array(buffer[0..<n])); continue }
        if n < 0 && errno == EINTR { continue }
        return
    }
}

/// Splits the server's stdout into frames, strictly: anything that is not a well-formed frame is reported
/// as junk (the stream must carry frames only). Independent of the server's own parser on purpose.
struct FrameSplitter {
    let framing: ServerProcess.Framing
    private var buffer: [UInt8] = []

    init(framing: ServerProcess.Framing) { self.framing = framing }

    mutating func feed(_ chunk: [UInt8]) -> (frames: [[UInt8]], junk: [String]) {
        buffer += chunk
        var frames: [[UInt8]] = []
        var junk: [String] = []
        var i = 0
        switch framing {
        case .ndjson:
            while let nl = buffer[i...].firstIndex(of: 0x0A) {
                frames.append(Array(buffer[i..<nl]))
                i = nl + 1
            }
        case .lsp:
            let separator: [UInt8] = [13, 10, 13, 10]
            while let end = firstRange(of: separator, from: i) {
                let header = String(decoding: buffer[i..<end], as: UTF8.self)
                let prefix = "Content-Length: "
                guard header.hasPrefix(prefix), !header.contains("\r\n"),
                      let length = Int(header.dropFirst(prefix.count)) else {
                    junk.append(header)
                    i = end + 4
                    continue
                }
                guard buffer.count - (end + 4) >= length else { break }
                frames.append(Array(buffer[(end + 4)..<(end + 4 + length)]))
                i = end + 4 + length
            }
        }
        buffer.removeFirst(i)
        return (frames, junk)
    }

    /// End of stream: a partial frame left over is junk.
    mutating func finish() -> [String] {
        defer { buffer = [] }
        return buffer.isEmpty ? [] : [String(decoding: buffer, as: UTF8.self)]
    }

    private func firstRange(of pattern: [UInt8], from start: Int) -> Int? {
        guard buffer.count - start >= pattern.count else { return nil }
        for i in start...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        }
        return nil
    }
}

/// A NULL-terminated `char *const *` array that lives as long as this object.
private final class CStrings {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int
    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: count + 1)
        for (i, s) in strings.enumerated() { pointer[i] = strdup(s) }
        pointer[count] = nil
    }
    deinit {
        for i in 0..<count { free(pointer[i]) }
        pointer.deallocate()
    }
}
