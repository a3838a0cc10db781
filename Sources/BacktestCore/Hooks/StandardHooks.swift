import JSON
import Validation

/// The hooks a real supervisor runs with: the workspace index, validation by the workspace's profiles,
/// provenance (metadata and code capture), and a scheduling pass when the run ends so that queued runs start
/// even when no server is alive.
public enum StandardHooks {
    public static func make(layout: WorkspaceLayout) -> SupervisorHooks {
        let index = try? RunIndex(path: layout.index)
        let config = try? WorkspaceConfig.load(root: layout.root, runsDir: layout.runsDir)
        let validation = config.flatMap { try? RunValidation(workspace: $0) }
        let provenance = RunProvenanceHooks(layout: layout, redaction: config?.redaction ?? .standard,
                                            reproduction: config?.reproduction ?? .none)
        return SupervisorHooks(
            index: index,
            onStart: { record, spec in provenance.started(record, spec) },
            validate: { record, spec in
                guard let validation else {
                    return (false, .null, ["backtest-rpc.json cannot be read, so the outputs were not validated"])
                }
                return validation.hook(record, spec)
            },
            analyse: { record, _ in
                RunAnalysis(configuredCapital: validation?.config.capital ?? ValidationConfig().capital).members(record)
            },
            beforeEnd: { record, spec in
                // Before the final record: a client that sees `completed` and asks again must find the entry.
                ResultCache(layout: layout, store: RunStore(layout: layout, index: index))
                    .remember(record, replacing: record.extra["cache"]?.stringValue == CacheMode.refresh.rawValue)
                return provenance.ending(record, spec)
            },
            afterEnd: { record, _ in
                let warnings = provenance.ended(record)

                Scheduler.passAfterRunEnded(layout: layout, index: index)
                return warnings
            })
    }
}
