import Base
import JSON

/// The checks a user profile declares for one file (see `UserProfile.FileSpec`), in one streaming pass for a CSV.
/// Rule ids are the file's stem plus the check (`signals.sorted`).
struct UserFileCheck: FileFacts, Sendable {
    let spec: UserProfile.FileSpec
    var findings: FindingList
    /// Whether the file is there, its size, and how far it was read (`FileRead`).
    var read = FileRead()

    init(spec: UserProfile.FileSpec) {
        self.spec = spec
        findings = FindingList(file: spec.path)
    }

    func rule(_ check: String) -> String { "\(spec.ruleStem).\(check)" }

    static let maxJSONSize = 64 << 20

    static func run(_ spec: UserProfile.FileSpec, resultsDir: String, isCancelled: @Sendable () -> Bool) -> UserFileCheck {
        var s = UserFileCheck(spec: spec)
        let path = PathText.join(resultsDir, spec.path)
        guard s.lookAt(path, missing: spec.required ? (s.rule("exists"), "missing: the profile requires this file") : nil) else {
            return s
        }
        if let min = spec.minSize, s.size < min {
            s.findings.add(s.rule("min_size"), "is \(s.read.size) bytes, less than \(min) (min_size)")
        }
        switch spec.format {
        case .csv: s.scanCSV(path: path, isCancelled: isCancelled)
        case .json: s.checkJSON(path: path)
        }
        return s
    }

    mutating func checkJSON(path: String) {
        let value: JSONValue
        switch JSONFileRead.read(path, limit: UserFileCheck.maxJSONSize) {
        case .value(let v): value = v
        case .unreadable:
            findings.add(rule("valid_json"), "cannot be read, or is larger than \(UserFileCheck.maxJSONSize >> 20) MiB")
            return
        case .invalid(let line, let text):
            findings.add(rule("valid_json"), line: line, text)
            return
        }
        complete = true
        let missing = spec.keys.filter { key in
            var v = value
            for part in key.split(separator: ".", omittingEmptySubsequences: false) {
                guard let o = v.objectValue, let next = o[String(part)] else { return true }
                v = next
            }
            return false
        }
        if !missing.isEmpty {
            findings.add(rule("required_keys"), "lacks \(missing.joined(separator: ", "))")
        }
    }

    /// State of the sorted-column check: the previous value, as a number when it is one.
    struct SortState {
        var previous: [UInt8] = []
        var previousNumber: Double?
        var previousLine = 0
        var hasPrevious = false
    }

    mutating func scanCSV(path: String, isCancelled: @Sendable () -> Bool) {
        var csv: CSVReader
        do { csv = try CSVReader(path: path) } catch {
            findings.add(rule("valid_csv"), "cannot be read: \(error.reason)")
            return
        }
        do {
            guard try csv.next() else {
                complete = true
                if !spec.columns.isEmpty {
                    findings.add(rule("required_columns"), "has no header row (needs \(spec.columns.joined(separator: ", ")))")
                }
                checkMinRows()
                return
            }
            let header = csv.strings()
            columns = header
            var missing = spec.columns.filter { !header.contains($0) }
            // Columns named by other checks are required too.
            let named = spec.notEmpty + [spec.sorted, spec.unique].compactMap { $0 } + spec.bounds.map(\.column)
            for c in named where !header.contains(c) && !missing.contains(c) && !spec.optionalColumns.contains(c) {
                missing.append(c)
            }
            if !missing.isEmpty {
                findings.add(rule("required_columns"), line: 1,
                             "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (columns: \(header.joined(separator: ", ")))")
            }
            let missingOptional = spec.optionalColumns.filter { !header.contains($0) }
            if !missingOptional.isEmpty {
                findings.add(rule("optional_columns"), line: 1, "no \(missingOptional.joined(separator: ", ")) column\(missingOptional.count > 1 ? "s" : "") (optional)")
            }
            let notEmpty = spec.notEmpty.compactMap { c in header.firstIndex(of: c).map { (c, $0) } }
            let sortedCol = spec.sorted.flatMap { header.firstIndex(of: $0) }
            let uniqueCol = spec.unique.flatMap { header.firstIndex(of: $0) }
            let bounds = spec.bounds.compactMap { b in header.firstIndex(of: b.column).map { (b.column, $0, b.min, b.max) } }
            var sort = SortState()
            // One 64-bit hash per value, with the line it was first seen on: a duplicate is found without keeping
            // the values themselves.
            var seen: [Int: Int32] = [:]
            var poll = CancellationPoll()
            while try csv.next() {
                rows += 1
                let line = csv.line
                let n = csv.fieldCount
                checkFieldCount(n, header: header.count, line: line, rule: rule("valid_csv"))
                for (name, k) in notEmpty where k >= n || csv.withField(k, { NullTokens.isNull($0) }) {
                    findings.add(rule("not_empty"), line: line, k >= n || csv.isEmpty(k) ? "\(name) is empty" : "\(name) is null (\(quoteValue(csv.string(k))))")
                }
                if let k = sortedCol, k < n, !csv.isEmpty(k) {
                    checkSorted(&csv, k, line: line, state: &sort)
                }
                if let k = uniqueCol, k < n, !csv.isEmpty(k) {
                    let h = csv.withField(k) { b in
                        var hasher = Hasher()
                        hasher.combine(bytes: UnsafeRawBufferPointer(b))
                        return hasher.finalize()
                    }
                    if let first = seen[h] {
                        findings.add(rule("unique"), line: line,
                                     "\(spec.unique!) \(quoteValue(csv.string(k))) repeats the value on line \(first)")
                    } else {
                        seen[h] = Int32(truncatingIfNeeded: line)
                    }
                }
                for (name, k, lo, hi) in bounds where k < n && !csv.isEmpty(k) {
                    guard let v = csv.withField(k, { DecimalParser.parse($0) })?.double, !v.isNaN else {
                        findings.add(rule("bounds"), line: line, "\(name) \(quoteValue(csv.string(k))) is not a number")
                        continue
                    }
                    if let lo, v < lo {
                        findings.add(rule("bounds"), line: line, "\(name) \(csv.string(k)) is below the minimum \(formatNumber(lo))")
                    } else if let hi, v > hi {
                        findings.add(rule("bounds"), line: line, "\(name) \(csv.string(k)) is above the maximum \(formatNumber(hi))")
                    }
                }
                if poll.shouldStop(isCancelled) { cancelled = true; return }
            }
            complete = true
        } catch {
            findings.add(rule("valid_csv"), line: error.line > 0 ? error.line : nil, "is not valid CSV: \(error.reason)")
        }
        if complete { checkMinRows() }
    }

    mutating func checkMinRows() {
        if let min = spec.minRows, rows < min {
            findings.add(rule("min_rows"), "has \(read.rows) row\(read.rows == 1 ? "" : "s"), fewer than \(min) (min_rows)")
        }
    }

    /// Numbers compare as numbers; anything else byte by byte (which orders ISO dates and times correctly).
    mutating func checkSorted(_ csv: inout CSVReader, _ k: Int, line: Int, state: inout SortState) {
        let strict = spec.strictlySorted
        let (bytes, number): ([UInt8], Double?) = csv.withField(k) { b in
            (Array(b), DecimalParser.parse(b).map(\.double).flatMap { $0.isNaN ? nil : $0 })
        }
        if state.hasPrevious {
            let order: Int
            if let a = state.previousNumber, let b = number {
                order = a < b ? -1 : a == b ? 0 : 1
            } else {
                order = state.previous.lexicographicallyPrecedes(bytes) ? -1 : state.previous == bytes ? 0 : 1
            }
            if order > 0 || (strict && order == 0) {
                let prevText = String(decoding: state.previous, as: UTF8.self)
                findings.add(rule("sorted"), line: line,
                             "\(spec.sorted!) \(quoteValue(csv.string(k))) \(order == 0 ? "repeats" : "comes before") \(quoteValue(prevText)) on line \(state.previousLine) (must be \(strict ? "strictly increasing" : "sorted ascending"))")
            }
        }
        state.previous = bytes
        state.previousNumber = number
        state.previousLine = line
        state.hasPrevious = true
    }
}
