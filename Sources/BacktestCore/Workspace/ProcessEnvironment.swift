import Glibc

/// This process's environment as a dictionary. Read, never changed: the core starts every child with an
/// explicit environment instead of mutating its own.
enum ProcessEnvironment {
    static func current() -> [String: String] {
        var env: [String: String] = [:]
        var e = environ
        while let p = e.pointee {
            let entry = String(cString: p)
            if let eq = entry.firstIndex(of: "=") {
                env[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
            }
            e += 1
        }
        return env
    }
}
