import Base
import JSON

/// The backtest profile's checks of metadata.json: it exists, parses, and holds the run's parameters and a
/// timestamp. All warnings: the result is still usable without it, but not reproducible. It is read first, because
/// its `parameters.capital` may be the capital the drawdown rule needs.
struct MetadataCheck: FileFacts, Sendable {
    static let file = "metadata.json"
    static let maxSize = 16 << 20

    var findings = FindingList(file: MetadataCheck.file)
    var read = FileRead()
    /// `parameters`, when it is an object: where `Capital` looks for the capital.
    var parameters: JSONValue?

    static func run(resultsDir: String) -> MetadataCheck {
        var s = MetadataCheck()
        let path = PathText.join(resultsDir, file)
        guard s.lookAt(path, missing: (BacktestRules.metadataExists, "missing: the run's parameters and time are not recorded")) else {
            return s
        }
        let value: JSONValue
        switch JSONFileRead.read(path, limit: maxSize) {
        case .value(let v): value = v
        case .unreadable:
            s.findings.add(BacktestRules.metadataValidJSON, "cannot be read, or is larger than \(maxSize >> 20) MiB")
            return s
        case .invalid(let line, let text):
            s.findings.add(BacktestRules.metadataValidJSON, line: line, text)
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
        s.parameters = object["parameters"].flatMap { $0.objectValue == nil ? nil : $0 }
        return s
    }
}
