import JSON

/// How a run's params become its command line, and what it adds to the environment. Pure functions, so the
/// rules (documented in docs/runs.md and docs/protocol.md) are tested without starting anything.
public enum RunCommandLine {
    /// `params` as arguments, in the order the client wrote them:
    /// - `true` → the bare flag `--key`; `false` and `null` → nothing;
    /// - a string → `--key text` (as is, even when it starts with `-`);
    /// - a number → `--key` and its JSON text as the client wrote it (`1e6`, `1.50`, `10`): the request is
    ///   parsed keeping every number's literal (`JSONValue.number`), so nothing is re-spelt on the way;
    /// - an array → `--key a b c`, each element by these rules (objects as compact JSON, `null` as `null`,
    ///   booleans as `true`/`false`); an empty array → nothing;
    /// - an object → `--key '{"compact":"json"}'`.
    public static func arguments(params: JSONObject) throws(CoreError) -> [String] {
        var out: [String] = []
        for (key, value) in params {
            guard !key.isEmpty, !key.utf8.contains(0), !key.hasPrefix("-") else {
                throw .invalidArgument(field: "params", reason: "a param name must be non-empty, must not start with '-' and must not contain NUL: \"\(key)\"")
            }
            let flag = "--" + key
            switch value {
            case .bool(true): out.append(flag)
            case .bool(false), .null: continue
            case .array(let items):
                guard !items.isEmpty else { continue }
                out.append(flag)
                for item in items { out.append(text(item)) }
            default:
                out.append(flag)
                out.append(text(value))
            }
        }
        for a in out where a.utf8.contains(0) {
            throw .invalidArgument(field: "params", reason: "a value contains a NUL byte")
        }
        return out
    }

    /// One value as one argument.
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int, .double, .number: return v.numberText ?? JSONWriter.string(v)
        default: return JSONWriter.string(v, numbersAsWritten: true)
        }
    }

    /// Refuses what cannot be passed to exec: NUL bytes in `args`, bad names or NUL bytes in `env`.
    public static func check(args: [String], env: [String: String]) throws(CoreError) {
        for a in args where a.utf8.contains(0) { throw .invalidArgument(field: "args", reason: "an argument contains a NUL byte") }
        for (k, v) in env {
            if k.isEmpty || k.utf8.contains(where: { $0 == UInt8(ascii: "=") || $0 == 0 }) || v.utf8.contains(0) {
                throw .invalidArgument(field: "env", reason: "\"\(k)\" is not a valid environment variable (empty name, '=' or NUL)")
            }
        }
    }

    /// The full argv: interpreter command (if any), the script, the params' arguments, args, then the output
    /// dir argument.
    public static func argv(interpreter: [String], script: String, paramArguments: [String], args: [String],
                            outputDirArg: String?, outputDir: String) -> [String] {
        var argv = interpreter
        argv.append(script)
        argv += paramArguments
        argv += args
        if let outputDirArg { argv += [outputDirArg, outputDir] }
        return argv
    }

    /// What to tell the user when the script refused the output dir argument: argparse's strict `parse_args`
    /// exits with 2 and says `error: unrecognized arguments: --output_dir <dir>` as its last stderr line. nil
    /// when the failure looks like anything else.
    public static func refusedOutputDirHint(exitCode: Int?, lastStderr: String, outputDirArg: String?) -> String? {
        guard exitCode == 2, let outputDirArg, !outputDirArg.isEmpty,
              let range = lastStderr.range(of: "unrecognized arguments:") ?? lastStderr.range(of: "no such option:")
        else { return nil }
        let named = lastStderr[range.upperBound...].split(separator: " ").contains { $0 == outputDirArg || $0.hasPrefix(outputDirArg + "=") }
        guard named else { return nil }
        return "the script does not accept \(outputDirArg): set \"output_dir_arg\": null in backtest-rpc.json, "
            + "or pass output_dir_arg: null to run; the directory is also in $BACKTEST_OUTPUT_DIR"
    }

    /// What a run adds to the inherited environment, later entries winning: the config's `env`, the run's
    /// `env`, then `PYTHONUNBUFFERED=1` and the `BACKTEST_*` names, which nothing overrides.
    public static func environment(config: [String: String], run: [String: String], runID: String,
                                   runDir: String, outputDir: String) -> [String: String] {
        var env = config
        for (k, v) in run { env[k] = v }
        env["PYTHONUNBUFFERED"] = "1"
        env["BACKTEST_RUN_ID"] = runID
        env["BACKTEST_OUTPUT_DIR"] = outputDir
        env["BACKTEST_RUN_DIR"] = runDir
        return env
    }
}
