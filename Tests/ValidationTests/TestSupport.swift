import Foundation
import JSON
import TestSupport
import XCTest
@testable import Validation

/// Paths, temporary directories and the fixture generator for the validation tests.
enum TestSupport {
    /// The repository root: three levels up from this file (Tests/ValidationTests/TestSupport.swift).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The repo's own output generator, Tests/Fixtures/make_outputs.py.
    static var generator: String { TestPaths.generator }

    /// python3 (skips, naming it, where it is not installed).
    static func requirePython() throws -> String {
        try Prerequisite.command("python3", package: "python3")
    }

    static func tempDir(_ name: String = "val") -> String {
        let path = NSTemporaryDirectory() + "validation-tests-\(name)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @discardableResult
    static func run(_ exe: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if p.terminationStatus != 0 { XCTFail("\(exe) \(args) failed: \(text)") }
        return text
    }

    /// Generates outputs with make_outputs.py into `dir`.
    static func generate(_ dir: String, trades: Int = 400, days: Int = 60, defect: String? = nil,
                         extra: [String] = []) throws {
        let python = try requirePython()
        var args = [generator, dir, "--trades", String(trades), "--days", String(days), "--quiet"] + extra
        if let defect { args += ["--defect", defect] }
        try run(python, args)
    }

    /// A run directory as the core lays it out: `execution.log` (clean unless given) and `results/`.
    static func makeRun(defect: String? = nil, trades: Int = 400, days: Int = 60,
                        log: String = "Starting backtest\nBacktest complete\n") throws -> ValidationContext {
        let runDir = tempDir("run")
        let results = runDir + "/results"
        try generate(results, trades: trades, days: days, defect: defect)
        try log.write(toFile: runDir + "/execution.log", atomically: true, encoding: .utf8)
        return ValidationContext(resultsDir: results, runDir: runDir, params: [:])
    }

    static func write(_ text: String, to path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func validate(_ context: ValidationContext, config: ValidationConfig = ValidationConfig(),
                         profile: String? = nil) throws -> ValidationReport {
        try Validator.validate(profile: profile, config: config, context: context)
    }
}

extension ValidationReport {
    var errorRules: [String] { errors.map(\.rule) }
    var warningRules: [String] { warnings.map(\.rule) }
    /// For failure messages.
    var dump: String { issues.map { "\($0.severity.rawValue) \($0.rule): \($0.message)" }.joined(separator: "\n") }
}
