/// Something that keeps a queryable copy of run records (the workspace's SQLite index). The record files
/// stay the truth; an index can always be rebuilt from them.
public protocol RunIndexing: Sendable {
    func upsert(_ record: RunRecord)
}
