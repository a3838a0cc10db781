@testable import BacktestCore
import Base
import Glibc
import JSON
import XCTest

/// backtest-rpc.json: defaults, every key, and errors that name the key.
final class WorkspaceConfigTests: XCTestCase {
    func testDefaultsWithoutAFile() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        let c = try WorkspaceConfig.load(root: root)
        XCTAssertNil(c.path)
        XCTAssertEqual(c.scriptsDir, root)
        XCTAssertEqual(c.runsDir, root + "/backtests")
        XCTAssertEqual(c.maxParallel, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        XCTAssertEqual(c.interpreters, [".py": ["python3"]])
        XCTAssertNil(c.defaultTimeoutSeconds)
        XCTAssertEqual(c.outputDirArg, "--output_dir")
        XCTAssertEqual(c.env, [:])
        XCTAssertEqual(c.killGraceSeconds, 5)
        XCTAssertEqual(c.workingDir, .scriptsDir)
        XCTAssertEqual(c.cwdCopyMaxBytes, 64 << 20)
    }

    func testEveryKey() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: [
            "$schema": "x", "scripts_dir": "strategies", "runs_dir": "out/runs", "max_parallel": 3,
            "interpreters": ["R": "Rscript", ".sh": ["bash", "-e"], ".py": nil], "default_timeout_s": 60.5,
            "output_dir_arg": "--out", "env": ["TZ": "UTC"], "kill_grace_s": 1,
            "working_dir": "run_dir", "cwd_copy_max_mb": 8,
            "validation": ["profile": "strict"], "profiles": ["strict": [:]],
        ])
        defer { WorkspaceTestSupport.remove(root) }
        mkdir(root + "/strategies", 0o755)
        let c = try WorkspaceConfig.load(root: root)
        XCTAssertEqual(c.path, root + "/backtest-rpc.json")
        XCTAssertEqual(c.scriptsDir, root + "/strategies")
        XCTAssertEqual(c.runsDir, root + "/out/runs")
        XCTAssertEqual(c.maxParallel, 3)
        XCTAssertEqual(c.interpreters, [".R": ["Rscript"], ".sh": ["bash", "-e"], ".py": []])
        XCTAssertEqual(c.defaultTimeoutSeconds, 60.5)
        XCTAssertEqual(c.outputDirArg, "--out")
        XCTAssertEqual(c.env, ["TZ": "UTC"])
        XCTAssertEqual(c.killGraceSeconds, 1)
        XCTAssertEqual(c.workingDir, .runDir)
        XCTAssertEqual(c.cwdCopyMaxBytes, 8 << 20)
        // The validation sections are kept as written, for the Validation module.
        XCTAssertEqual(c.raw["validation"], ["profile": "strict"])
        XCTAssertEqual(c.raw["profiles"], ["strict": [:]])
    }

    func testErrorsNameTheKey() throws {
        let cases: [(JSONValue, String, String)] = [
            (["max_paralel": 2], "max_paralel", "did you mean max_parallel"),
            (["max_parallel": "2"], "max_parallel", "expected an integer"),
            (["max_parallel": 0], "max_parallel", "between 1 and 1024"),
            (["max_parallel": 1.5], "max_parallel", "expected an integer"),
            (["interpreters": [".py": 3]], "interpreters[\".py\"]", "expected a command"),
            (["interpreters": ["a/b": "x"]], "interpreters[\"a/b\"]", "extension"),
            (["interpreters": "python3"], "interpreters", "expected an object"),
            (["env": ["A": 1]], "env[\"A\"]", "expected a string"),
            (["env": ["BACKTEST_RUN_ID": "x"]], "env[\"BACKTEST_RUN_ID\"]", "cannot be overridden"),
            (["env": ["A=B": "x"]], "env[\"A=B\"]", "'='"),
            (["kill_grace_s": -1], "kill_grace_s", "between 0 and 3600"),
            (["default_timeout_s": 0], "default_timeout_s", "greater than 0"),
            (["default_timeout_s": "10"], "default_timeout_s", "expected a number"),
            (["output_dir_arg": 5], "output_dir_arg", "expected a string"),
            (["working_dir": "cwd"], "working_dir", "expected \"scripts_dir\" or \"run_dir\""),
            (["working_dir": 1], "working_dir", "expected a string"),
            (["cwd_copy_max_mb": -1], "cwd_copy_max_mb", "between 0 and"),
            (["cwd_copy_max_mb": "64"], "cwd_copy_max_mb", "expected a number"),
            (["scripts_dir": "missing"], "scripts_dir", "not a directory"),
            (["runs_dir": ""], "runs_dir", "non-empty"),
            (["runs_dir": "."], "runs_dir", "workspace root"),
            (["reproduction": ["ignore_file": ["a"]]], "reproduction.ignore_file", "did you mean ignore_files"),
            (["reproduction": ["ignore_files": "a"]], "reproduction.ignore_files", "expected an array"),
            (["reproduction": ["ignore_json_keys": ["m.json": "k"]]], "reproduction.ignore_json_keys[\"m.json\"]", "member names"),
            (["reproduction": []], "reproduction", "expected an object"),
            ([1, 2], "", "expected a JSON object"),
        ]
        for (config, key, reason) in cases {
            let root = try WorkspaceTestSupport.makeRoot(config: config)
            defer { WorkspaceTestSupport.remove(root) }
            let e = WorkspaceTestSupport.coreError { try WorkspaceConfig.load(root: root) }
            guard case .configInvalid(let path, let k, let why)? = e else {
                XCTFail("\(config): expected configInvalid, got \(String(describing: e))"); continue
            }
            XCTAssertEqual(path, root + "/backtest-rpc.json")
            XCTAssertEqual(k, key, "\(config)")
            XCTAssertTrue(why.contains(reason), "\(config): \(why)")
        }
    }

    func testReproductionRules() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: [
            "reproduction": ["ignore_files": ["clock.txt", "logs/*"], "ignore_json_keys": ["metadata.json": ["execution_timestamp"]]],
        ])
        defer { WorkspaceTestSupport.remove(root) }
        let c = try WorkspaceConfig.load(root: root)
        XCTAssertEqual(c.reproduction.ignoreFiles, ["clock.txt", "logs/*"])
        XCTAssertEqual(c.reproduction.ignoreJSONKeys, ["metadata.json": ["execution_timestamp"]])
    }

    func testInvalidJSONSaysWhere() throws {
        let root = try WorkspaceTestSupport.makeRoot()
        defer { WorkspaceTestSupport.remove(root) }
        try AtomicFile.write(Array("{\"max_parallel\": 2,}".utf8), to: root + "/backtest-rpc.json")
        guard case .configInvalid(_, let key, let reason)? = WorkspaceTestSupport.coreError({ try WorkspaceConfig.load(root: root) })
        else { return XCTFail("expected configInvalid") }
        XCTAssertEqual(key, "")
        XCTAssertTrue(reason.contains("not valid JSON") && reason.contains("byte"), reason)
    }

    /// A Workspace on a bad config is an error, not a crash, and names the key.
    func testWorkspaceRefusesABadConfig() throws {
        let root = try WorkspaceTestSupport.makeRoot(config: ["kill_grace": 3])
        defer { WorkspaceTestSupport.remove(root) }
        let e = WorkspaceTestSupport.coreError { try Workspace(root: root, supervisorExecutable: "/bin/false") }
        guard case .configInvalid(_, "kill_grace", let reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("kill_grace_s"), reason)
    }
}
