import Base
import JSON
import Provenance

/// The result cache's key for a run: a SHA-256 over what decides its result (see docs/caching.md):
///
/// - the code, exactly as code capture would take it (`CodeCapture.select`): each file's path in `code/` and
///   the SHA-256 of its bytes, so a changed byte in any captured module is another key;
/// - the interpreter's path and version, and its installed packages' versions where they are known;
/// - the params, the args, and the environment the run adds (the config's `env` and the run's own), each
///   without secret-named members: a hash of a password is a leak, and secrets do not decide a backtest;
/// - the SHA-256 of every input file, and the validation profile.
///
/// What it cannot see is not in it: data the script reads from paths it was not told about (`inputs`), the
/// network, the clock. Such a script should be run with `cache: "off"`, or name its data as `inputs`.
struct CacheKey {
    var lines: [String] = []

    /// The key for a run about to be submitted; nil when the script cannot be read.
    static func compute(scriptPath: String, workspaceRoot: String, interpreter: [String], info: InterpreterInfo?,
                        params: JSONObject, args: [String], env: [String: String], inputs: [String],
                        profile: String?, redaction: SecretRedaction) -> String? {
        var key = CacheKey()
        key.add("version", "1")
        let code = CodeCapture.select(entry: scriptPath, workspaceRoot: workspaceRoot)
        guard code.found else { return nil }
        key.add("code.entry", code.entry ?? "")
        for (source, stored) in code.files.sorted(by: { $0.stored < $1.stored }) {
            guard let sha = try? SHA256.hexOfFile(path: source) else { return nil }
            key.add("code", stored + " " + sha)
        }
        key.add("interpreter", interpreter.joined(separator: " "))
        if let info {
            key.add("interpreter.version", info.version)
            for (name, version) in (info.packages ?? [:]).sorted(by: { $0.key < $1.key }) { key.add("package", name + "==" + version) }
        }
        var kept = JSONObject()
        for (name, value) in params where !redaction.isSecret(name) { kept.appendUnchecked(name, value) }
        key.add("params", canonical(.object(kept)))
        key.add("args", canonical(.array(args.map(JSONValue.string))))
        for (name, value) in env.sorted(by: { $0.key < $1.key }) where !redaction.isSecret(name) { key.add("env", name + "=" + value) }
        let (files, _) = InputData.describe(paths: inputs, relativeTo: workspaceRoot)
        for f in files { key.add("input", f.path + " " + f.sha256) }
        key.add("profile", profile ?? "")
        return SHA256.hex(of: SHA256.digest(Array(key.lines.joined(separator: "\n").utf8)))
    }

    private mutating func add(_ name: String, _ value: String) {
        // Values are escaped so that no value can forge another line.
        lines.append(name + "\t" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n"))
    }

    /// JSON with sorted keys and numbers by value (`10` and `10.0` are the same param, as on a command line).
    static func canonical(_ v: JSONValue) -> String {
        switch v {
        case .object(let o):
            return "{" + o.sorted(by: { $0.key < $1.key }).map { canonical(.string($0.key)) + ":" + canonical($0.value) }
                .joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(canonical).joined(separator: ",") + "]"
        default:
            if v.stringValue == nil, v.boolValue == nil, let d = v.doubleValue {
                return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
            }
            return JSONWriter.string(v)
        }
    }
}
