/// What a run does with the result cache (`run`/`sweep` param `cache`).
public enum CacheMode: String, Sendable, CaseIterable {
    /// Never look (the default for `run`); the run gets no key and never becomes an entry.
    case off
    /// A completed run with the same key answers at once, without running (the default for `sweep`);
    /// otherwise the run runs and, once completed, becomes the key's entry.
    case reuse
    /// Runs whatever the cache holds, and replaces the key's entry once completed.
    case refresh
}
