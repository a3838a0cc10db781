import Base

/// Resolves imports to files the way Python's path-based finder does, restricted to the user's own folders.
///
/// The search path is what `python3 <script>` sees first: the script's folder, then the workspace root (the
/// supervisor may put it on PYTHONPATH; a module found in neither is not the user's code). For each path
/// entry, in order, like CPython's `FileFinder`: a directory with an `__init__` file is a regular package; else
/// a module file (`name.<ext-suffix>.so`, `name.py`, `name.pyc`) in that entry; a directory without
/// `__init__` only counts as a namespace package portion if no entry has a regular package or module of that
/// name. Importing `a.b.c` loads `a/__init__.py` and `a/b/__init__.py` too, so those are captured. Relative
/// imports resolve against the importing module's package. Modules found nowhere on this path (standard
/// library, site-packages, numpy) are left out. Every reached `.py` file is scanned in turn, so the walk
/// follows imports recursively; each directory is listed once.
public enum ModuleResolver {
    /// The local files the entry script loads, the entry first, then in the order they were reached.
    public static func localModules(entry: String, searchPaths: [String]) -> [LocalModule] {
        var walk = Walk(searchPaths: searchPaths.map(PathText.normalize))
        return walk.run(entry: PathText.normalize(entry))
    }

    /// Resolves one absolute dotted module name; nil when it is not local. Exposed for tests and tools.
    public static func resolve(module: String, searchPaths: [String]) -> LocalModule? {
        var walk = Walk(searchPaths: searchPaths.map(PathText.normalize))
        guard let spec = walk.find(module), let file = spec.file else { return nil }
        return LocalModule(name: module, path: file)
    }

    /// A found module: its file (nil for a namespace package) and, for packages, where submodules live.
    struct Spec {
        var file: String?
        var isPackage: Bool
        var searchDirs: [String]
    }

    /// One resolution pass with its caches (directory listings, resolved names).
    struct Walk {
        let searchPaths: [String]
        private var listings: [String: (files: Set<String>, dirs: Set<String>)?] = [:]
        private var resolved: [String: Spec?] = [:]
        private var seenFiles: Set<String> = []
        private var order: [LocalModule] = []
        private var pending: [(name: String, path: String, isPackage: Bool)] = []

        init(searchPaths: [String]) {
            var unique: [String] = []
            for p in searchPaths where !unique.contains(p) { unique.append(p) }
            self.searchPaths = unique
        }

        mutating func run(entry: String) -> [LocalModule] {
            add(name: "__main__", path: entry, isPackage: false)
            while !pending.isEmpty {
                let (name, path, isPackage) = pending.removeFirst()
                // Only Python source can import; the entry is source whatever its name (a shebang script).
                guard path.hasSuffix(".py") || name == "__main__", let bytes = try? FileSystem.readFile(path, limit: 16 << 20) else { continue }
                let source = String(decoding: bytes, as: UTF8.self)
                for statement in PythonImports.scan(source: source) {
                    follow(statement, from: name, isPackage: isPackage)
                }
            }
            return order
        }

        private mutating func add(name: String, path: String, isPackage: Bool) {
            guard seenFiles.insert(path).inserted else { return }
            order.append(LocalModule(name: name, path: path))
            pending.append((name, path, isPackage))
        }

        /// Loads what one statement would load: the module with its parent packages, and for
        /// `from pkg import x` the submodule `pkg.x` when there is one.
        private mutating func follow(_ s: ImportStatement, from importer: String, isPackage: Bool) {
            var target = s.module
            if s.level > 0 {
                // The importing module's package: itself for an `__init__`, else its parent. The entry
                // script (`__main__`) has none, and Python refuses its relative imports, so do we.
                if importer == "__main__" { return }
                var package = importer.split(separator: ".").map(String.init)
                if !isPackage { package.removeLast() }
                // Going above the top-level package is an error in Python ("beyond top-level package").
                let up = s.level - 1
                guard package.count - up >= 1 else { return }
                package.removeLast(up)
                target = (package + (s.module.isEmpty ? [] : [s.module])).joined(separator: ".")
            }
            guard !target.isEmpty, let spec = loadChain(target) else { return }
            if s.isFrom && spec.isPackage {
                for name in s.names where name != "*" { _ = loadChain(target + "." + name) }
            }
        }

        /// Resolves `a.b.c` and records every file on the way; nil as soon as a part is not local.
        private mutating func loadChain(_ dotted: String) -> Spec? {
            let parts = dotted.split(separator: ".")
            var spec: Spec?
            for n in 1...parts.count {
                let name = parts[0..<n].joined(separator: ".")
                guard let found = find(name) else { return nil }
                if let file = found.file { add(name: name, path: file, isPackage: found.isPackage) }
                spec = found
            }
            return spec
        }

        /// Resolves an absolute dotted name (cached).
        mutating func find(_ dotted: String) -> Spec? {
            if let cached = resolved[dotted] { return cached }
            let result: Spec?
            if let dot = dotted.lastIndex(of: ".") {
                let parentName = String(dotted[..<dot])
                let tail = String(dotted[dotted.index(after: dot)...])
                if let parent = find(parentName), parent.isPackage {
                    result = find(tail, in: parent.searchDirs)
                } else {
                    result = nil
                }
            } else {
                result = find(dotted, in: searchPaths)
            }
            resolved[dotted] = .some(result)
            return result
        }

        /// CPython's PathFinder over `dirs` for one name component.
        private mutating func find(_ tail: String, in dirs: [String]) -> Spec? {
            var namespacePortions: [String] = []
            for dir in dirs {
                guard let listing = listing(dir) else { continue }
                if listing.dirs.contains(tail) {
                    let packageDir = dir + "/" + tail
                    if let sub = self.listing(packageDir), let initFile = moduleFile("__init__", in: sub.files) {
                        return Spec(file: packageDir + "/" + initFile, isPackage: true, searchDirs: [packageDir])
                    }
                    namespacePortions.append(packageDir)
                }
                if let file = moduleFile(tail, in: listing.files) {
                    // A module file beats a bare directory of the same name in the same entry.
                    if namespacePortions.last == dir + "/" + tail { namespacePortions.removeLast() }
                    return Spec(file: dir + "/" + file, isPackage: false, searchDirs: [])
                }
            }
            if namespacePortions.isEmpty { return nil }
            return Spec(file: nil, isPackage: true, searchDirs: namespacePortions)
        }

        /// The file that would be loaded for module `name` among a directory's files, in CPython's order:
        /// extension modules, then source, then sourceless bytecode.
        private func moduleFile(_ name: String, in files: Set<String>) -> String? {
            let plain = name + ".so"
            for file in files where file.hasSuffix(".so") && file.hasPrefix(name + ".") {
                if file == plain { continue }
                let middle = file.dropFirst(name.count + 1).dropLast(3)
                if middle == "abi3" || middle.hasPrefix("cpython-") { return file }
            }
            if files.contains(plain) { return plain }
            if files.contains(name + ".py") { return name + ".py" }
            if files.contains(name + ".pyc") { return name + ".pyc" }
            return nil
        }

        private mutating func listing(_ dir: String) -> (files: Set<String>, dirs: Set<String>)? {
            if let cached = listings[dir] { return cached }
            var result: (files: Set<String>, dirs: Set<String>)?
            if let entries = FileSystem.typedEntries(dir) {
                var files = Set<String>(), dirs = Set<String>()
                for (name, isDir) in entries {
                    if isDir { dirs.insert(name) } else { files.insert(name) }
                }
                result = (files, dirs)
            }
            listings[dir] = .some(result)
            return result
        }
    }
}
