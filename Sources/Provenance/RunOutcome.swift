import Base
import JSON

/// How a run ended: the part of the metadata document written when it is over.
public struct RunOutcome: Sendable, Equatable {
    /// The script's exit code; nil when it never started or was killed before reporting one.
    public var exitCode: Int?
    public var durationSeconds: Double
    /// The run's final status (`completed`, `failed`, `cancelled`).
    public var status: String
    /// Every file in `results/` (its `reports/` folder aside), with size and SHA-256.
    public var resultFiles: [CapturedFile]
    /// When it ended (ISO 8601 UTC, ms).
    public var completedAt: String

    public init(exitCode: Int?, durationSeconds: Double, status: String, resultFiles: [CapturedFile],
                completedAt: String = ISOTime.now()) {
        self.exitCode = exitCode
        self.durationSeconds = durationSeconds
        self.status = status
        self.resultFiles = resultFiles
        self.completedAt = completedAt
    }

    /// The members appended to the document, in the order they are written.
    var members: [(String, JSONValue)] {
        // Milliseconds are all a duration measured around process start and exit can honestly claim.
        let rounded = (durationSeconds * 1000).rounded() / 1000
        return [
            ("completed_at", .string(completedAt)),
            ("exit_code", .from(exitCode)),
            ("duration_seconds", .from(rounded)),
            ("status", .string(status)),
            ("result_files", .array(resultFiles.map { $0.json() })),
        ]
    }
}
