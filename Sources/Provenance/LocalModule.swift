/// A file of the user's own code that an import reaches: what code capture copies.
public struct LocalModule: Sendable, Equatable {
    /// The dotted name Python gives it (`utils.indicators`), `__main__` for the entry script.
    public var name: String
    /// Absolute path of the file Python would load (`utils/__init__.py` for the package `utils`).
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}
