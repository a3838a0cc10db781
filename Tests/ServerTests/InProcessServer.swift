import BacktestServer
import Foundation
import JSON
import JSONRPC
import Synchronization
import TestSupport
import XCTest

/// A whole server in the test process on an in-memory connection: the same assembly the binary runs on
/// stdio, with runs supervised by the built `backtest-rpc` binary. No pipes, no server process.
final class InProcessServer: Sendable {
    let client: MemoryClient
    let assembly: ServerAssembly
    private let done = DispatchSemaphore(value: 0)
    private let exitCode = ExitCode()

    private final class ExitCode: Sendable {
        let value = Mutex<Int32?>(nil)
    }

    init(workspace: String) {
        var options = ServerOptions()
        options.workspace = workspace
        let (connection, client) = Connection.memory()
        self.client = client
        assembly = ServerAssembly(options: options, connection: connection,
                                  supervisorExecutable: TestPaths.builtProduct("backtest-rpc"))
        let (assembly, done, exitCode) = (assembly, done, exitCode)
        let thread = Thread {
            let code = assembly.serve()
            exitCode.value.withLock { $0 = code }
            done.signal()
        }
        thread.start()
    }

    /// The result of a request (failing the test on an error answer).
    func result(_ method: String, _ params: JSONValue? = nil, file: StaticString = #filePath,
                line: UInt = #line) -> JSONValue {
        guard let r = client.request(method, params, timeout: 30) else {
            XCTFail("\(method): no answer", file: file, line: line)
            return .null
        }
        XCTAssertTrue(r["error"].isNull, "\(method): \(JSONWriter.string(r["error"]))", file: file, line: line)
        return r["result"]
    }

    /// Waits for the `run/status` notification with `status` for `runID`.
    @discardableResult
    func waitForStatus(_ runID: String, _ status: String, timeout: Double = 30) -> JSONValue? {
        client.waitFor(timeout: timeout) {
            $0["method"] == "run/status" && $0["params"]["run_id"] == .string(runID) && $0["params"]["status"] == .string(status)
        }
    }

    /// Ends the session (end of input) and waits for `serve()` to return.
    func close() -> Int32? {
        client.closeInput()
        return done.wait(timeout: .now() + 30) == .success ? exitCode.value.withLock { $0 } : nil
    }
}
