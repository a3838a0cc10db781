import Base
import Glibc
import JSON

/// What a rerun may differ in without counting as not reproduced (the config's `reproduction`): result
/// files left out of the verdict, and JSON keys dropped before two JSON result files are compared.
public struct ReproductionRules: Sendable, Equatable {
    /// Paths relative to `results/`, or shell patterns (`*.log`, `logs/*`): such files count neither as
    /// differing nor as present in one run only.
    public var ignoreFiles: [String]
    /// Path (relative to `results/`) → member names dropped, at any depth, from both files before they are
    /// compared as parsed JSON.
    public var ignoreJSONKeys: [String: [String]]

    public init(ignoreFiles: [String] = [], ignoreJSONKeys: [String: [String]] = [:]) {
        self.ignoreFiles = ignoreFiles
        self.ignoreJSONKeys = ignoreJSONKeys
    }

    public static let none = ReproductionRules()

    func ignores(_ path: String) -> Bool {
        ignoreFiles.contains { $0 == path || fnmatch($0, path, 0) == 0 }
    }
}

/// Compares the result hashes of a run and its rerun.
public enum Reproduction {
    /// Verdicts of one file.
    public enum Verdict: String, Sendable {
        /// Same bytes.
        case identical
        /// Different bytes (or size).
        case differing
        case onlyInOriginal = "only_in_original"
        case onlyInRerun = "only_in_rerun"
        /// Matched by `ignore_files`: not compared.
        case ignored
        /// Different bytes, but the same JSON once the `ignore_json_keys` are dropped from both.
        case equivalent
    }

    /// - Parameters:
    ///   - originalResults, rerunResults: the two `results/` folders, read only for files that have
    ///     `ignore_json_keys` and whose hashes differ; nil: such files stay `differing`.
    public static func compare(original: [CapturedFile], rerun: [CapturedFile], rules: ReproductionRules = .none,
                               originalResults: String? = nil, rerunResults: String? = nil) -> ReproductionCheck {
        var a: [String: CapturedFile] = [:]
        for f in original { a[f.path] = f }
        var b: [String: CapturedFile] = [:]
        for f in rerun { b[f.path] = f }
        let byPath: (String, String) -> Bool = { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let paths = Set(a.keys).union(b.keys).sorted(by: byPath)
        var files: [ReproductionCheck.File] = []
        for path in paths {
            let x = a[path], y = b[path]
            let verdict: Verdict
            if rules.ignores(path) {
                verdict = .ignored
            } else if let x, let y {
                if x.sha256 == y.sha256 && x.size == y.size {
                    verdict = .identical
                } else if let keys = rules.ignoreJSONKeys[path], let originalResults, let rerunResults,
                          sameJSON(originalResults + "/" + path, rerunResults + "/" + path, dropping: Set(keys)) {
                    verdict = .equivalent
                } else {
                    verdict = .differing
                }
            } else {
                verdict = x == nil ? .onlyInRerun : .onlyInOriginal
            }
            files.append(ReproductionCheck.File(path: path, verdict: verdict, originalSHA256: x?.sha256, rerunSHA256: y?.sha256))
        }
        func with(_ v: Verdict) -> [String] { files.filter { $0.verdict == v }.map(\.path) }
        let differing = with(.differing), onlyA = with(.onlyInOriginal), onlyB = with(.onlyInRerun)
        return ReproductionCheck(identical: differing.isEmpty && onlyA.isEmpty && onlyB.isEmpty,
                                 differing: differing, onlyInOriginal: onlyA, onlyInRerun: onlyB,
                                 ignored: files.filter { $0.verdict == .ignored || $0.verdict == .equivalent }.map(\.path),
                                 files: files)
    }

    /// Both files parse as JSON and are equal once every member named in `keys` is dropped, at any depth.
    static func sameJSON(_ p: String, _ q: String, dropping keys: Set<String>) -> Bool {
        guard let x = try? FileSystem.readFile(p, limit: 64 << 20), let y = try? FileSystem.readFile(q, limit: 64 << 20),
              let u = try? JSONParser.parse(x), let v = try? JSONParser.parse(y) else { return false }
        return drop(keys, from: u) == drop(keys, from: v)
    }

    static func drop(_ keys: Set<String>, from value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            var out = JSONObject()
            for (k, v) in o where !keys.contains(k) { out[k] = drop(keys, from: v) }
            return .object(out)
        case .array(let items): return .array(items.map { drop(keys, from: $0) })
        default: return value
        }
    }
}
