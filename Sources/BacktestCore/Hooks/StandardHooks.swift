import JSON
import Provenance
import Synchronization
import Validation

/// The hooks a real supervisor runs with: the workspace index, validation by the workspace's profiles,
/// provenance (metadata and code capture). (The scheduling pass when a run ends, which starts queued runs
/// even when no server is alive, is the supervisor command's own: `RunChain`.)
public enum StandardHooks {
    public static func make(layout: WorkspaceLayout) -> SupervisorHooks {
        let index = openIndex(layout.index)
        let config = try? WorkspaceConfig.load(root: layout.root, runsDir: layout.runsDir)
        let validation = config.flatMap { try? RunValidation(workspace: $0) }
        let provenance = RunProvenanceHooks(layout: layout, redaction: config?.redaction ?? .standard,
                                            reproduction: config?.reproduction ?? .none)
        let analysis = RunAnalysis(configuredCapital: validation?.config.capital ?? ValidationConfig().capital)
        return SupervisorHooks(
            index: index,
            onStart: { record, spec in provenance.started(record, spec) },
            prepareEnd: { record, spec in
                PreparedEnd(validation: validation?.prepare(record, spec), analysis: analysis.members(record),
                            resultHashes: RunProvenance.hashResults(runDir: record.runDir))
            },
            validate: { record, spec, prepared in
                guard let validation else {
                    return (false, .null, ["backtest-rpc.json cannot be read, so the outputs were not validated"])
                }
                return validation.hook(record, spec, prepared: prepared?.validation)
            },
            analyse: { record, _, prepared in prepared?.analysis ?? analysis.members(record) },
            beforeEnd: { record, spec, prepared in
                // Before the final record: a client that sees `completed` and asks again must find the entry.
                ResultCache(layout: layout, store: RunStore(layout: layout, index: index))
                    .remember(record, replacing: record.extra["cache"]?.stringValue == CacheMode.refresh.rawValue)
                return provenance.ending(record, spec, resultHashes: prepared?.resultHashes)
            },
            afterEnd: { record, _ in provenance.ended(record) })
    }

    /// One connection per index for the whole process: a supervisor that goes on to its next run makes its
    /// hooks again (the config may have changed) but need not open the index again.
    private static let indexes = Mutex<[String: RunIndex]>([:])

    private static func openIndex(_ path: String) -> RunIndex? {
        indexes.withLock { open in
            if let i = open[path] { return i }
            guard let i = try? RunIndex(path: path) else { return nil }
            open[path] = i
            return i
        }
    }
}
