import Base
import JSON

/// A validation profile declared in `backtest-rpc.json` under `profiles.<name>`, for scripts that write files
/// other than the backtest trio. Each file gets its own checks; every check is an error unless the config says
/// otherwise (optional columns only warn).
public struct UserProfile: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The files to check, in the order they are declared.
    public var files: [FileSpec]
    /// Check the run's execution.log as the backtest profile does (default true).
    public var checkLog: Bool
    /// Severity overrides that apply to this profile only (on top of `validation.severity`).
    public var severities: [String: RuleSeverity]

    /// What one file must look like.
    public struct FileSpec: Sendable, Equatable {
        public enum Format: String, Sendable { case csv, json }
        /// Path relative to the results directory.
        public var path: String
        public var format: Format
        /// A missing required file is an error; a missing optional one is not checked further.
        public var required: Bool = true
        /// Minimum size in bytes.
        public var minSize: Int64?
        /// CSV: minimum number of data rows.
        public var minRows: Int?
        public var columns: [String] = []
        public var optionalColumns: [String] = []
        /// CSV: columns in which no value may be empty or null.
        public var notEmpty: [String] = []
        /// CSV: a column whose values must not decrease (numbers compared as numbers, other text byte-wise, which
        /// orders ISO dates); `strictlySorted` also refuses equal neighbours.
        public var sorted: String?
        public var strictlySorted = false
        /// CSV: a column whose values must all differ.
        public var unique: String?
        /// CSV: numeric bounds per column (inclusive).
        public var bounds: [(column: String, min: Double?, max: Double?)] = []
        /// JSON: member paths that must exist (`a.b.c` descends into objects).
        public var keys: [String] = []

        /// Prefix of this file's rule ids: its path without the extension (`signals.csv` → `signals`).
        public var ruleStem: String {
            guard let dot = path.lastIndex(of: "."), dot != path.startIndex,
                  !path[dot...].contains("/") else { return path }
            return String(path[..<dot])
        }

        public static func == (a: FileSpec, b: FileSpec) -> Bool {
            a.path == b.path && a.format == b.format && a.required == b.required && a.minSize == b.minSize
                && a.minRows == b.minRows && a.columns == b.columns && a.optionalColumns == b.optionalColumns
                && a.notEmpty == b.notEmpty && a.sorted == b.sorted && a.strictlySorted == b.strictlySorted
                && a.unique == b.unique && a.keys == b.keys
                && a.bounds.map(\.column) == b.bounds.map(\.column)
                && a.bounds.map(\.min) == b.bounds.map(\.min) && a.bounds.map(\.max) == b.bounds.map(\.max)
        }
    }

    /// The rule ids a file of this profile can produce, with their default severities.
    static func rules(for f: FileSpec) -> [(id: String, severity: Severity)] {
        let s = f.ruleStem
        var r: [(String, Severity)] = [("\(s).exists", .error), ("\(s).min_size", .error)]
        switch f.format {
        case .csv:
            r += [("\(s).valid_csv", .error), ("\(s).required_columns", .error), ("\(s).optional_columns", .warning),
                  ("\(s).min_rows", .error), ("\(s).not_empty", .error), ("\(s).sorted", .error),
                  ("\(s).unique", .error), ("\(s).bounds", .error)]
        case .json:
            r += [("\(s).valid_json", .error), ("\(s).required_keys", .error)]
        }
        return r
    }

    /// Every rule id of this profile (files and log) with its default severity.
    var rules: [(id: String, severity: Severity)] {
        var r = files.flatMap { UserProfile.rules(for: $0) }
        if checkLog { r += [(LogRules.exists, .warning), (LogRules.empty, .warning), (LogRules.critical, .warning)] }
        return r
    }

    /// Parses `profiles.<name>`.
    static func parse(name: String, _ value: JSONValue, path: String) throws(ValidationConfigError) -> UserProfile {
        let r = try ConfigReader.object(value, path: path)
        try r.checkKeys(["description", "files", "check_log", "severity"])
        // No files (absent or {}) is a profile too: it checks only the log (check_log), or nothing at all.
        let filesReader = try r.child("files")
        var files: [FileSpec] = []
        var stems: [String: String] = [:]
        for (fileName, spec) in filesReader?.object ?? [:] {
            guard let filesReader else { break }
            let f = try parseFile(fileName, spec, path: filesReader.key(fileName))
            if let other = stems[f.ruleStem] {
                throw ValidationConfigError(key: filesReader.key(fileName),
                                            reason: "shares the rule prefix \"\(f.ruleStem)\" with \"\(other)\"")
            }
            stems[f.ruleStem] = fileName
            files.append(f)
        }
        var profile = UserProfile(name: name, description: try r.string("description"), files: files,
                                  checkLog: try r.bool("check_log") ?? true, severities: [:])
        if let sev = try r.child("severity") {
            let known = Set(profile.rules.map(\.id))
            profile.severities = try ValidationConfig.parseSeverities(sev, known: known)
        }
        return profile
    }

    static func parseFile(_ name: String, _ value: JSONValue, path: String) throws(ValidationConfigError) -> FileSpec {
        if name.isEmpty || name.hasPrefix("/") || name.split(separator: "/").contains("..") {
            throw ValidationConfigError(key: path, reason: "a file must be a relative path inside the results directory")
        }
        let r = try ConfigReader.object(value, path: path)
        try r.checkKeys(["format", "required", "min_size", "min_rows", "columns", "optional_columns", "not_empty",
                         "sorted", "strictly_sorted", "unique", "bounds", "keys"])
        let format: FileSpec.Format
        if let f = try r.string("format") {
            guard let ff = FileSpec.Format(rawValue: f) else {
                throw ValidationConfigError(key: r.key("format"), reason: "expected \"csv\" or \"json\", got \"\(f)\"")
            }
            format = ff
        } else {
            format = name.lowercased().hasSuffix(".json") ? .json : .csv
        }
        var f = FileSpec(path: name, format: format)
        f.required = try r.bool("required") ?? true
        f.minSize = try r.nonNegativeInt("min_size").map { Int64($0) }
        f.minRows = try r.nonNegativeInt("min_rows")
        f.columns = try r.strings("columns") ?? []
        f.optionalColumns = try r.strings("optional_columns") ?? []
        f.notEmpty = try r.strings("not_empty") ?? []
        f.keys = try r.strings("keys") ?? []
        if let s = try r.string("sorted") { f.sorted = s }
        if let s = try r.string("strictly_sorted") {
            if f.sorted != nil && f.sorted != s {
                throw ValidationConfigError(key: r.key("strictly_sorted"), reason: "names a different column than \"sorted\"")
            }
            f.sorted = s
            f.strictlySorted = true
        }
        f.unique = try r.string("unique")
        if let b = try r.child("bounds") {
            for (column, spec) in b.object {
                let br = try ConfigReader.object(spec, path: b.key(column))
                try br.checkKeys(["min", "max"])
                let lo = try br.number("min"), hi = try br.number("max")
                if lo == nil && hi == nil { throw ValidationConfigError(key: br.path, reason: "give min, max or both") }
                if let lo, let hi, lo > hi { throw ValidationConfigError(key: br.path, reason: "min is greater than max") }
                f.bounds.append((column, lo, hi))
            }
        }
        let csvOnly: [(String, Bool)] = [
            ("min_rows", f.minRows != nil), ("columns", !f.columns.isEmpty),
            ("optional_columns", !f.optionalColumns.isEmpty), ("not_empty", !f.notEmpty.isEmpty),
            ("sorted", f.sorted != nil), ("unique", f.unique != nil), ("bounds", !f.bounds.isEmpty),
        ]
        if format == .json, let bad = csvOnly.first(where: { $0.1 })?.0 {
            throw ValidationConfigError(key: r.key(bad), reason: "applies to CSV files only")
        }
        if format == .csv && !f.keys.isEmpty {
            throw ValidationConfigError(key: r.key("keys"), reason: "applies to JSON files only")
        }
        return f
    }
}
