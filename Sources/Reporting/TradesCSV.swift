import Validation

/// Streams trades.csv (`entry_time,exit_time,pnl`, optionally a fees column) into a `TradeAnalysis`: one pass,
/// no String per row, constant memory, so a million trades take a fraction of a second.
enum TradesCSV {
    /// The names a fees column goes by, in the order they are looked for.
    static let feeColumns = ["fees", "fee", "commission"]

    /// nil when the file cannot be opened or has no header. A row whose pnl is not a finite number is no trade
    /// (the validator reports it); an empty or non-numeric fee counts as none. Rows before a CSV defect (an
    /// unterminated quote) are kept: the validator reports the defect.
    static func read(path: String, pnlDays: [CivilDate]?) -> TradeAnalysis? {
        guard var csv = try? CSVReader(path: path), (try? csv.next()) == true else { return nil }
        let names = csv.columnNames()
        let pnl = names.firstIndex(of: "pnl")
        let fee = feeColumns.lazy.compactMap { names.firstIndex(of: $0) }.first
        let entry = names.firstIndex(of: "entry_time"), exit = names.firstIndex(of: "exit_time")
        var analysis = TradeAnalysis(pnlDays: pnlDays, hasPnL: pnl != nil)
        if fee != nil { analysis.statistics?.hasFees() }
        if entry == nil || exit == nil { analysis.positions?.markNotDerivable() }
        while (try? csv.next()) == true {
            if let pnl {
                guard let value = csv.finiteNumber(pnl) else { continue }
                analysis.statistics!.add(pnl: value)
                if let fee, let f = csv.finiteNumber(fee) { analysis.statistics!.add(fee: f) }
            }
            if let entry, let exit, analysis.positions?.derivable == true {
                analysis.positions!.add(entry: csv.civilDay(entry), exit: csv.civilDay(exit))
            }
        }
        return analysis
    }
}
