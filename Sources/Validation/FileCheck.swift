import JSON

/// What validation saw of one file: the facts (exists, size, rows, columns) and the messages about it, so a client
/// can show a per-file table without re-reading the files.
public struct FileCheck: Sendable, Equatable {
    public var exists: Bool
    /// Size in bytes; 0 when the file does not exist.
    public var size: Int64
    /// Data rows of a CSV file (the header not counted), lines of a log; nil for other files, or when the file
    /// could not be read to the end.
    public var rowCount: Int?
    /// The header of a CSV file; nil for other files or when there is no header.
    public var columns: [String]?
    /// Messages of this file's findings, by severity after the config's overrides.
    public var errors: [String]
    public var warnings: [String]

    public init(exists: Bool, size: Int64, rowCount: Int? = nil, columns: [String]? = nil,
                errors: [String] = [], warnings: [String] = []) {
        self.exists = exists
        self.size = size
        self.rowCount = rowCount
        self.columns = columns
        self.errors = errors
        self.warnings = warnings
    }

    /// `{exists, size, row_count, columns, errors, warnings}`.
    public func json() -> JSONValue {
        .object([
            "exists": .bool(exists), "size": .int(size), "row_count": .from(rowCount),
            "columns": columns.map { .from($0) } ?? .null, "errors": .from(errors), "warnings": .from(warnings),
        ])
    }
}
