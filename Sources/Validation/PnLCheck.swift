import Base

/// The backtest profile's checks of pnl.csv, in one pass: structure, the last cumulative_pnl, dates (format, order,
/// trading days, missing days under the configured calendar), the drawdown limit, and the running-sum check that
/// reconciliation reports. pnl.csv has one row per trading day (about 250 a year), so the dates are kept
/// (8 bytes a row) to check for missing days after the pass, in date order even when the rows are not.
struct PnLCheck: FileFacts, Sendable {
    static let file = "pnl.csv"
    static let minSize: Int64 = 100
    static let required = ["date", "pnl", "cumulative_pnl"]

    var findings = FindingList(file: PnLCheck.file)
    /// Rows whose cumulative_pnl is not the running sum; reported by reconciliation, and only if the file passed
    /// its own checks (a missing day or a swapped row would otherwise be reported twice).
    var runningSumFindings = FindingList(file: PnLCheck.file)
    /// Whether the file is there, its size, and how far it was read (`FileRead`).
    var read = FileRead()
    /// The last row's cumulative_pnl, if it is a number, and that row's line.
    var lastCumulative: Double?
    var lastLine: Int?

    struct Settings {
        var calendar: TradingCalendar
        var capital: Double
        var capitalSource: String
        var maxDrawdownPct: Double
        var tolerance: ValidationConfig.Tolerance
    }

    /// A cumulative_pnl that is not a number, held back until we know whether its row is the last one (which has
    /// a rule of its own).
    struct BadCumulative {
        var line: Int
        var isNull: Bool
        var text: String
    }

    static func run(resultsDir: String, settings: Settings, isCancelled: @Sendable () -> Bool) -> PnLCheck {
        var s = PnLCheck()
        s.scan(path: PathText.join(resultsDir, file), settings: settings, isCancelled: isCancelled)
        return s
    }

    mutating func scan(path: String, settings: Settings, isCancelled: @Sendable () -> Bool) {
        guard lookAt(path, missing: (BacktestRules.pnlExists, "missing: the script wrote no pnl.csv")) else { return }
        if size < PnLCheck.minSize {
            findings.add(BacktestRules.pnlMinSize, "is \(read.size) bytes; a daily pnl file has at least \(PnLCheck.minSize)")
        }
        var csv: CSVReader
        do {
            csv = try CSVReader(path: path)
        } catch {
            findings.add(BacktestRules.pnlValidCSV, "cannot be read: \(error.reason)")
            return
        }
        let calendar = settings.calendar
        let tolerance = settings.tolerance
        var days: [Int32] = []
        var lines: [Int32] = []
        var ordered = true
        var prevDay: CivilDate?
        var prevDayLine = 0
        var prevCumulative: Double? = 0
        var badCumulative: BadCumulative?
        var peak = settings.capital, peakLine = 0, peakDay: CivilDate?
        var worst = 0.0, worstLine = 0, worstDay: CivilDate?, worstEquity = 0.0, worstPeak = 0.0
        var worstPeakLine = 0, worstPeakDay: CivilDate?
        do {
            guard try csv.next() else {
                findings.add(BacktestRules.pnlRequiredColumns, "has no header row (needs \(PnLCheck.required.joined(separator: ", ")))")
                findings.add(BacktestRules.pnlMinRows, "has no data rows")
                complete = true
                return
            }
            let header = csv.strings()
            columns = header
            let missing = PnLCheck.required.filter { !header.contains($0) }
            if !missing.isEmpty {
                findings.add(BacktestRules.pnlRequiredColumns, line: 1,
                             "missing required column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) (columns: \(header.joined(separator: ", ")))")
            }
            let dateCol = header.firstIndex(of: "date")
            let pnlCol = header.firstIndex(of: "pnl")
            let cumCol = header.firstIndex(of: "cumulative_pnl")
            var poll = CancellationPoll()
            while try csv.next() {
                rows += 1
                let line = csv.line
                let n = csv.fieldCount
                checkFieldCount(n, header: header.count, line: line, rule: BacktestRules.pnlValidCSV)
                if let d = dateCol, d < n {
                    if csv.withField(d, { NullTokens.isNull($0) }) {
                        findings.add(BacktestRules.pnlNotNull, line: line, csv.isEmpty(d) ? "date is empty" : "date is null (\(quoteValue(csv.string(d))))")
                    } else if let day = csv.withField(d, { CivilDate.parse($0) }) {
                        if let p = prevDay, day <= p {
                            findings.add(BacktestRules.pnlDatesIncreasing, line: line,
                                         "date \(day) is not after \(p) on line \(prevDayLine): dates must be strictly increasing")
                            ordered = false
                        }
                        if !calendar.isTradingDay(day) {
                            let why = calendar.closureReason(day) ?? (day.weekday == 0 ? "a Sunday" : "a Saturday")
                            findings.add(BacktestRules.pnlNonTradingDay, line: line,
                                         "\(day) is not a trading day (\(why); calendar \(calendar.name))")
                        }
                        days.append(day.day)
                        lines.append(Int32(truncatingIfNeeded: line))
                        prevDay = day
                        prevDayLine = line
                    } else {
                        findings.add(BacktestRules.pnlDateFormat, line: line, "date \(quoteValue(csv.string(d))) is not a date (YYYY-MM-DD)")
                    }
                }
                var pnl: Double?
                if let p = pnlCol, p < n {
                    if let v = csv.withField(p, { DecimalParser.parse($0) }), !v.double.isNaN {
                        pnl = v.double
                    } else {
                        let isNull = csv.isEmpty(p) || csv.withField(p, { NullTokens.isNull($0) }) || csv.withField(p, { DecimalParser.parse($0) }) != nil
                        findings.add(isNull ? BacktestRules.pnlNotNull : BacktestRules.pnlNumeric, line: line,
                                     isNull ? "pnl is \(csv.isEmpty(p) ? "empty" : "null (\(quoteValue(csv.string(p))))")"
                                            : "pnl \(quoteValue(csv.string(p))) is not a number")
                    }
                }
                // The previous row's bad cumulative_pnl was not the last one after all.
                if let b = badCumulative {
                    findings.add(b.isNull ? BacktestRules.pnlNotNull : BacktestRules.pnlNumeric, line: b.line,
                                 b.isNull ? "cumulative_pnl is \(b.text)" : "cumulative_pnl \(b.text) is not a number")
                    badCumulative = nil
                }
                var cumulative: Double?
                if let c = cumCol, c < n {
                    if let v = csv.withField(c, { DecimalParser.parse($0) }), !v.double.isNaN {
                        cumulative = v.double
                    } else {
                        let empty = csv.isEmpty(c)
                        let isNull = empty || csv.withField(c, { NullTokens.isNull($0) }) || csv.withField(c, { DecimalParser.parse($0) }) != nil
                        badCumulative = BadCumulative(line: line, isNull: isNull,
                                                      text: empty ? "empty" : isNull ? "null (\(quoteValue(csv.string(c))))" : quoteValue(csv.string(c)))
                    }
                }
                // Running sum: cumulative_pnl = previous cumulative_pnl + pnl (the first row: = pnl).
                if let pv = pnl, let cv = cumulative, let before = prevCumulative {
                    let expected = before + pv
                    if !tolerance.agreeAbsolute(cv, expected) {
                        runningSumFindings.add(BacktestRules.reconcileCumulative, line: line,
                                               "cumulative_pnl \(formatAmount(cv)) is not the running sum: \(formatAmount(before)) + pnl \(formatAmount(pv)) = \(formatAmount(expected)) (tolerance \(formatAmount(tolerance.absolute)))")
                    }
                }
                prevCumulative = cumulative
                // Drawdown of equity = capital + cumulative_pnl from its running peak.
                if let cv = cumulative {
                    let equity = settings.capital + cv
                    if equity > peak { peak = equity; peakLine = line; peakDay = prevDay }
                    if peak > 0 {
                        let dd = (equity - peak) / peak * 100
                        if dd < worst {
                            worst = dd; worstLine = line; worstDay = prevDay; worstEquity = equity; worstPeak = peak
                            worstPeakLine = peakLine; worstPeakDay = peakDay
                        }
                    }
                }
                lastCumulative = cumulative
                lastLine = line
                if poll.shouldStop(isCancelled) { cancelled = true; return }
            }
            complete = true
        } catch {
            findings.add(BacktestRules.pnlValidCSV, line: error.line > 0 ? error.line : nil, "is not valid CSV: \(error.reason)")
        }
        if let b = badCumulative {
            if complete {
                findings.add(BacktestRules.pnlLastCumulative, line: b.line,
                             "the last cumulative_pnl is \(b.isNull ? b.text : "\(b.text), not a number"): the final result is unknown")
            } else {
                findings.add(b.isNull ? BacktestRules.pnlNotNull : BacktestRules.pnlNumeric, line: b.line,
                             b.isNull ? "cumulative_pnl is \(b.text)" : "cumulative_pnl \(b.text) is not a number")
            }
        }
        if complete && rows == 0 {
            findings.add(BacktestRules.pnlMinRows, "has no data rows")
        }
        checkMissingDays(days: days, lines: lines, ordered: ordered, calendar: calendar)
        if worst < -settings.maxDrawdownPct {
            let peakAt = worstPeakDay.map { "\($0), line \(worstPeakLine)" } ?? "the starting capital"
            findings.add(BacktestRules.pnlMaxDrawdown, line: worstLine,
                         "equity falls \(formatFixed(-worst, decimals: 2))% from its peak \(formatAmount(worstPeak)) (\(peakAt)) to \(formatAmount(worstEquity))\(worstDay.map { " on \($0)" } ?? ""), more than the \(formatFixed(settings.maxDrawdownPct, decimals: 2))% limit (max_drawdown_pct; capital \(formatAmount(settings.capital)) from \(settings.capitalSource))")
        }
    }

    /// Every trading day between the first and the last date must have a row. Checked over the dates in order:
    /// rows out of order are their own error, and must not also look like gaps.
    mutating func checkMissingDays(days: [Int32], lines: [Int32], ordered: Bool, calendar: TradingCalendar) {
        guard days.count >= 2 else { return }
        var order = Array(days.indices)
        if !ordered { order.sort { days[$0] < days[$1] } }
        for k in 1..<order.count {
            let a = CivilDate(day: days[order[k - 1]]), b = CivilDate(day: days[order[k]])
            guard b.day > a.day + 1 else { continue }
            let shown = calendar.tradingDays(after: a, before: b, limit: 5)
            if shown.isEmpty { continue }
            let total = shown.count < 5 ? shown.count : calendar.countTradingDays(after: a, before: b)
            let line = Int(lines[order[k]])
            let text: String
            if total == 1 {
                text = "missing trading day \(shown[0]) (no row between \(a) and \(b); calendar \(calendar.name))"
            } else {
                let list = shown.map(\.description).joined(separator: ", ") + (total > shown.count ? ", …" : "")
                text = "\(total) trading days missing between \(a) and \(b): \(list) (calendar \(calendar.name))"
            }
            findings.add(BacktestRules.pnlMissingDays, line: line, text)
        }
    }
}
