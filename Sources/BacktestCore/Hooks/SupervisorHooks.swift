import JSON

/// What the supervisor calls out to at the points of a run where other modules have work to do. The lead
/// wires them (validation, provenance, the index, the scheduler); the supervisor only knows when to call.
/// Every hook runs in the supervisor process, never in a server.
public struct SupervisorHooks: Sendable {
    /// What a validation hook answers.
    public typealias Validation = (valid: Bool, report: JSONValue, errors: [String])

    /// The workspace index to refresh on every record save, if there is one.
    public var index: (any RunIndexing)?
    /// Called once the script has been spawned and the record says running (so it never delays the start).
    /// Runs on its own thread while output is captured; the warnings it returns (metadata that could not be
    /// written, ...) go into the final record. `validate` is not called before it has returned.
    public var onStart: @Sendable (RunRecord, RunSpec) -> [String]
    /// Called while the script still runs, once its results dir has been quiet for a moment (maybe several
    /// times, maybe never; on a thread of its own, maybe while `onStart` still runs): the end's work on the
    /// result files, done ahead. What it returns reaches `validate`, `analyse` and `beforeEnd` only when no
    /// result file changed since it began (`EarlyEnd`); they get nil otherwise, and do the work themselves.
    /// Nil: nothing is done ahead.
    public var prepareEnd: (@Sendable (RunRecord, RunSpec) -> PreparedEnd)?
    /// Called after the script exited by itself (not after a cancel or timeout), with status validating.
    /// For an exit 0, `valid` decides completed vs failed/validation; for a non-zero exit the report is only
    /// kept in the record. `report` (unless null) becomes the record's `validation`; `errors` (the first
    /// few) go into a failed run's error message.
    public var validate: @Sendable (RunRecord, RunSpec, PreparedEnd?) -> Validation
    /// Called for a script that exited with code 0, on another thread while `validate` runs (it must need
    /// nothing from it): members to add to the record (the server-computed `metrics`, the script's `summary`).
    public var analyse: @Sendable (RunRecord, RunSpec, PreparedEnd?) -> JSONObject
    /// Called when the final status is known, just before the final record is saved: work that readers of a
    /// finished run expect to find done (the metadata's end, the result hashes). Returns warnings.
    public var beforeEnd: @Sendable (RunRecord, RunSpec, PreparedEnd?) -> [String]
    /// Called after the final record was saved and the slot lock released, still holding the run lock:
    /// metadata completion. Warnings it returns are added to the record.
    public var afterEnd: @Sendable (RunRecord, RunSpec) -> [String]

    public init(index: (any RunIndexing)? = nil,
                onStart: @escaping @Sendable (RunRecord, RunSpec) -> [String] = { _, _ in [] },
                prepareEnd: (@Sendable (RunRecord, RunSpec) -> PreparedEnd)? = nil,
                validate: @escaping @Sendable (RunRecord, RunSpec, PreparedEnd?) -> Validation = { _, _, _ in (true, .null, []) },
                analyse: @escaping @Sendable (RunRecord, RunSpec, PreparedEnd?) -> JSONObject = { _, _, _ in [:] },
                beforeEnd: @escaping @Sendable (RunRecord, RunSpec, PreparedEnd?) -> [String] = { _, _, _ in [] },
                afterEnd: @escaping @Sendable (RunRecord, RunSpec) -> [String] = { _, _ in [] }) {
        self.index = index; self.onStart = onStart; self.prepareEnd = prepareEnd
        self.validate = validate; self.analyse = analyse
        self.beforeEnd = beforeEnd
        self.afterEnd = afterEnd
    }

    /// No index, nothing validated (every exit 0 completes), nothing else done.
    public static let none = SupervisorHooks()
}
