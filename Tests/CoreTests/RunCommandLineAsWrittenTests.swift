import JSON
import XCTest
@testable import BacktestCore

/// Params as the client wrote them, and the hint for a script that refuses the output dir argument.
final class RunCommandLineAsWrittenTests: XCTestCase {
    func testNumbersKeepTheirText() throws {
        let request = try JSONParser.parse(#"{"x": 1e6, "y": 1.50, "z": 10, "n": -0, "a": [2.50, 3], "o": {"k": 1.0}}"#,
                                           keepingNumberText: true)
        XCTAssertEqual(try RunCommandLine.arguments(params: request.objectValue ?? [:]),
                       ["--x", "1e6", "--y", "1.50", "--z", "10", "--n", "-0", "--a", "2.50", "3", "--o", #"{"k":1.0}"#])
        // The spec keeps them through a write and a read.
        let spec = RunSpec(executable: "/py", argv: ["/py", "/s.py", "--out", "/r/results"], envAdded: [:], baseEnv: [:], cwd: "/",
                           timeoutSeconds: nil, killGraceSeconds: 5, profile: nil, scriptPath: "/s.py", workspaceRoot: "/",
                           inputs: [], params: request.objectValue ?? [:])
        let text = String(decoding: JSONWriter.pretty(spec.json(), numbersAsWritten: true), as: UTF8.self)
        XCTAssertTrue(text.contains(#""x": 1e6"#), text)
        let back = try XCTUnwrap(RunSpec(json: try JSONParser.parse(text, keepingNumberText: true)))
        XCTAssertEqual(back.params["y"]?.numberText, "1.50")
        XCTAssertEqual(back.outputDirArg, nil, "written as null: none")
        var old = spec.json().objectValue ?? [:]
        old["output_dir_arg"] = nil
        XCTAssertEqual(RunSpec(json: .object(old))?.outputDirArg, "--out", "an older spec: read from its argv")
    }

    func testRefusedOutputDirHint() {
        let argparse = "strategy.py: error: unrecognized arguments: --output_dir /w/backtests/1/results"
        XCTAssertNotNil(RunCommandLine.refusedOutputDirHint(exitCode: 2, lastStderr: argparse, outputDirArg: "--output_dir"))
        XCTAssertNil(RunCommandLine.refusedOutputDirHint(exitCode: 1, lastStderr: argparse, outputDirArg: "--output_dir"))
        XCTAssertNil(RunCommandLine.refusedOutputDirHint(exitCode: 2, lastStderr: argparse, outputDirArg: nil))
        XCTAssertNil(RunCommandLine.refusedOutputDirHint(exitCode: 2, lastStderr: "s.py: error: unrecognized arguments: --y 1",
                                                         outputDirArg: "--output_dir"))
        XCTAssertNil(RunCommandLine.refusedOutputDirHint(exitCode: 2, lastStderr: "bad input", outputDirArg: "--output_dir"))
    }
}
