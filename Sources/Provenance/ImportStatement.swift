/// One module reference found in Python source.
///
/// `import a.b as c, d` yields two statements (modules `a.b` and `d`), because each is resolved on its own;
/// `from ..pkg.m import (x, y)` yields one with `level` 2, `module` "pkg.m" and `names` ["x", "y"].
public struct ImportStatement: Sendable, Equatable, CustomStringConvertible {
    /// The dotted module path as written, without leading dots; empty for `from . import x`.
    public var module: String
    /// Leading dots of a relative import: 0 for absolute imports.
    public var level: Int
    /// For `from ... import` the imported names (`*` for a star import); empty for `import`.
    public var names: [String]
    /// True for `from ... import ...`.
    public var isFrom: Bool
    /// 1-based line of the `import`/`from` keyword, for log lines a person can check.
    public var line: Int

    public init(module: String, level: Int = 0, names: [String] = [], isFrom: Bool = false, line: Int = 0) {
        self.module = module
        self.level = level
        self.names = names
        self.isFrom = isFrom
        self.line = line
    }

    public var description: String {
        let dots = String(repeating: ".", count: level)
        return isFrom ? "from \(dots)\(module) import \(names.joined(separator: ", "))" : "import \(module)"
    }
}
