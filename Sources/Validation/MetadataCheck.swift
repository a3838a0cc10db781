import JSON

/// The backtest profile's checks of metadata.json: it exists, parses, and holds the run's parameters and a
/// timestamp. All warnings: the result is still usable without it, but not reproducible. It is read first, because
/// its `parameters.capital` may be the capital the drawdown rule needs.
struct MetadataCheck: Sendable {
    static let file = "metadata.json"
    static let maxSize = 16 << 20

    var findings = FindingList(file: MetadataCheck.file)
    var exists = false
    var size: Int64 = 0
    /// `parameters.capital`, when it is a positive number.
    var capital: Double?

    static func run(resultsDir: String) -> MetadataCheck {
        var s = MetadataCheck()
        let path = FileInfo.join(resultsDir, file)
        let info = FileInfo(path: path)
        guard info.exists, !info.isDirectory else {
            s.findings.add(BacktestRules.metadataExists, "missing: the run's parameters and time are not recorded")
            return s
        }
        s.exists = true
        s.size = info.size
        guard let file = try? ReadOnlyFile(path: path), let bytes = file.readAll(limit: maxSize) else {
            s.findings.add(BacktestRules.metadataValidJSON, "cannot be read, or is larger than \(maxSize >> 20) MiB")
            return s
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            // Give the line of the offset, so an editor lands where the JSON breaks.
            let offset = min(error.offset, bytes.count)
            let line = 1 + bytes[0..<offset].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            s.findings.add(BacktestRules.metadataValidJSON, line: line, "is not valid JSON: \(error.reason) (byte \(error.offset))")
            return s
        }
        guard let object = value.objectValue else {
            s.findings.add(BacktestRules.metadataRequiredKeys, "is a JSON \(value.typeName), not an object with parameters and execution_timestamp")
            return s
        }
        var lacks: [String] = []
        if object["parameters"]?.objectValue == nil { lacks.append("parameters") }
        if object["execution_timestamp"]?.stringValue?.isEmpty ?? true { lacks.append("execution_timestamp") }
        if !lacks.isEmpty {
            s.findings.add(BacktestRules.metadataRequiredKeys, "lacks \(lacks.joined(separator: " and ")) (an object and a timestamp string)")
        }
        s.capital = Capital.number(object["parameters"]?["capital"])
        return s
    }
}
