import Base

/// The backtest profile's checks of trades.csv, in one pass: structure (size, CSV, columns, rows, nulls), the
/// custom loss limit and trade count, and the figures reconciliation needs (sum of pnl, wins, rows).
/// A file over `ValidationConfig.parallelThreshold` is read as two halves at once (see `plan`).
struct TradesCheck: FileFacts, Sendable {
    static let file = "trades.csv"
    static let minSize: Int64 = 100
    static let required = ["entry_time", "exit_time", "pnl"]
    static let optional = ["strike", "option_type"]

    var findings = FindingList(file: TradesCheck.file)
    /// Whether the file is there, its size, and how far it was read (`FileRead`).
    var read = FileRead()
    /// The sum of pnl: exact cents for values with at most two decimals, plus a Double for any others.
    var pnlCents: Int64 = 0
    var pnlOther = 0.0
    var wins = 0
    /// The line after the last one read (to number the lines of a second half).
    var endLine = 1

    var pnlSum: Double { Double(pnlCents) / 100 + pnlOther }
    var hasPnLColumn: Bool { columns?.contains("pnl") ?? false }

    /// Column positions found in the header.
    struct Columns: Sendable {
        var count: Int
        var entry: Int?
        var exit: Int?
        var pnl: Int?
    }

    /// What is left to do after the header: the rows, in one or two byte ranges that can be read at once.
    struct Plan: Sendable {
        /// Findings and facts so far (existence, size, header).
        var base: TradesCheck
        var path: String
        var columns: Columns
        /// (from, stopAt, firstLine) per part; empty when there are no rows to read.
        var parts: [(from: Int64, stopAt: Int64?, firstLine: Int)]
    }

    /// Checks existence, size and header, and splits the rows into parts: two halves for a large file (when the
    /// config allows), else one.
    static func plan(resultsDir: String, config: ValidationConfig) -> Plan {
        let path = PathText.join(resultsDir, file)
        var s = TradesCheck()
        var plan = Plan(base: s, path: path, columns: Columns(count: 0), parts: [])
        guard s.lookAt(path, missing: (BacktestRules.tradesExists, "missing: the script wrote no trades.csv (to run without checks: profile: \"none\")")) else {
            plan.base = s
            return plan
        }
        if s.size < minSize {
            s.findings.add(BacktestRules.tradesMinSize, "is \(s.read.size) bytes; a trades file has at least \(minSize)")
        }
        // The header, read on its own so that the rows can be split between threads.
        let header: [String]
        let headerEnd: Int64
        let afterHeaderLine: Int
        do {
            var csv = try CSVReader(path: path)
            guard try csv.next() else {
                s.findings.add(BacktestRules.tradesRequiredColumns, "has no header row (needs \(required.joined(separator: ", ")))")
                s.complete = true
                plan.base = s
                return plan
            }
            header = csv.strings()
            headerEnd = csv.bytesConsumed
            afterHeaderLine = csv.nextLine
        } catch {
            s.findings.add(BacktestRules.tradesValidCSV, line: error.line > 0 ? error.line : nil, "is not valid CSV: \(error.reason)")
            plan.base = s
            return plan
        }
        s.columns = header
        let missing = required.filter { !header.contains($0) }
        if !missing.isEmpty {
            s.findings.add(BacktestRules.tradesRequiredColumns, line: 1,
                           "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (columns: \(header.joined(separator: ", ")))")
        }
        let missingOptional = optional.filter { !header.contains($0) }
        if !missingOptional.isEmpty {
            s.findings.add(BacktestRules.tradesOptionalColumns, line: 1,
                           "no \(missingOptional.joined(separator: ", ")) column\(missingOptional.count > 1 ? "s" : "") (optional, expected for option trades)")
        }
        plan.base = s
        plan.columns = Columns(count: header.count, entry: header.firstIndex(of: "entry_time"),
                               exit: header.firstIndex(of: "exit_time"), pnl: header.firstIndex(of: "pnl"))
        if config.parallelRead && s.size >= config.parallelThreshold,
           let split = CSVReader.lineStart(path: path, near: s.size / 2, after: headerEnd), split < s.size {
            // The first half knows where its records really end: if the split point is inside a quoted field, it
            // reads on to the end of the file and `finish` throws the second half away.
            plan.parts = [(headerEnd, split, afterHeaderLine), (split, nil, 1)]
        } else {
            plan.parts = [(headerEnd, nil, afterHeaderLine)]
        }
        return plan
    }

    /// Reads one part of the rows (safe to call for different parts at once).
    static func readPart(_ plan: Plan, _ i: Int, maxLoss: Double, isCancelled: @Sendable () -> Bool) -> TradesCheck {
        var part = TradesCheck()
        let r = plan.parts[i]
        part.readRows(path: plan.path, from: r.from, stopAt: r.stopAt, firstLine: r.firstLine, cols: plan.columns,
                      maxLoss: maxLoss, isCancelled: isCancelled)
        return part
    }

    /// Joins the parts and applies the rules that need the whole file (row counts).
    static func finish(_ plan: Plan, parts: [TradesCheck], config: ValidationConfig) -> TradesCheck {
        var s = plan.base
        if let a = parts.first {
            s.absorb(a, lineOffset: 0)
            s.complete = a.complete
            // The second half counts only if the first ended exactly where it began.
            if parts.count == 2 && a.complete && !a.overran {
                s.absorb(parts[1], lineOffset: a.endLine - 1)
                s.complete = parts[1].complete
            }
        }
        if s.complete && s.rows == 0 {
            s.findings.add(BacktestRules.tradesMinRows, "has no data rows")
        }
        if s.complete && s.rows < config.minTrades {
            s.findings.add(BacktestRules.tradesMinTrades,
                           "has \(s.read.rows) trade\(s.read.rows == 1 ? "" : "s"), fewer than \(config.minTrades) (min_trades)")
        }
        return s
    }

    /// Set by `readRows` when its stop offset fell inside a record and it read to the end instead.
    var overran = false

    /// Adds a part's rows, sums and findings (lines shifted by `lineOffset`).
    mutating func absorb(_ p: TradesCheck, lineOffset: Int) {
        rows += p.rows
        pnlCents &+= p.pnlCents
        pnlOther += p.pnlOther
        wins += p.wins
        findings.merge(p.findings, lineOffset: lineOffset)
        cancelled = cancelled || p.cancelled
        endLine = p.endLine + lineOffset
    }

    /// Reads the rows of one range of the file (the hot loop: no String per row).
    mutating func readRows(path: String, from: Int64, stopAt: Int64?, firstLine: Int, cols: Columns,
                           maxLoss: Double, isCancelled: @Sendable () -> Bool) {
        var csv: CSVReader
        do {
            csv = try CSVReader(path: path, from: from, stopAt: stopAt, firstLine: firstLine)
        } catch {
            findings.add(BacktestRules.tradesValidCSV, "cannot be read: \(error.reason)")
            return
        }
        var poll = CancellationPoll()
        do {
            while try csv.next() {
                rows += 1
                let n = csv.fieldCount
                checkFieldCount(n, header: cols.count, line: csv.line, rule: BacktestRules.tradesValidCSV)
                if let e = cols.entry, e < n { checkPresent(&csv, e, "entry_time") }
                if let e = cols.exit, e < n { checkPresent(&csv, e, "exit_time") }
                if let p = cols.pnl, p < n {
                    let value = csv.isQuoted(p) ? csv.withField(p) { DecimalParser.parse($0) } : DecimalParser.parse(csv.raw(p))
                    if let v = value, !v.double.isNaN {
                        if let c = v.cents { pnlCents &+= c } else { pnlOther += v.double }
                        if v.double > 0 { wins += 1 }
                        if v.double < -maxLoss {
                            let text = csv.string(p)
                            findings.add(BacktestRules.tradesMaxLoss, line: csv.line,
                                         "pnl \(text) loses more than \(formatAmount(maxLoss)) on one trade (max_loss_per_trade)")
                        }
                    } else {
                        reportBadValue(&csv, p, "pnl", numericRule: BacktestRules.tradesNumeric)
                    }
                }
                if poll.shouldStop(isCancelled) { cancelled = true; return }
            }
            complete = true
        } catch {
            findings.add(BacktestRules.tradesValidCSV, line: error.line > 0 ? error.line : nil, "is not valid CSV: \(error.reason)")
        }
        overran = csv.overranStop
        endLine = csv.nextLine
    }

    @inline(__always)
    mutating func checkPresent(_ csv: inout CSVReader, _ k: Int, _ name: String) {
        let isNull = csv.isQuoted(k) ? csv.withField(k) { NullTokens.isNull($0) } : NullTokens.isNull(csv.raw(k))
        if isNull {
            findings.add(BacktestRules.tradesNotNull, line: csv.line,
                         csv.isEmpty(k) ? "\(name) is empty" : "\(name) is null (\(quoteValue(csv.string(k))))")
        }
    }

    /// A value that is not a number: null (empty, `NaN`, `None`...) or text.
    mutating func reportBadValue(_ csv: inout CSVReader, _ k: Int, _ name: String, numericRule: String) {
        if csv.isEmpty(k) {
            findings.add(BacktestRules.tradesNotNull, line: csv.line, "\(name) is empty")
        } else if csv.withField(k, { NullTokens.isNull($0) }) || DecimalParser.parse(csv.string(k))?.isNaN == true {
            findings.add(BacktestRules.tradesNotNull, line: csv.line, "\(name) is null (\(quoteValue(csv.string(k))))")
        } else {
            findings.add(numericRule, line: csv.line, "\(name) \(quoteValue(csv.string(k))) is not a number")
        }
    }
}
