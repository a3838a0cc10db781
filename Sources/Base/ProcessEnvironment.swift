import Glibc

/// This process's environment as a dictionary. Read, never changed: every child (a supervisor, a script, a
/// helper command) is started with an explicit environment instead of the process mutating its own.
package enum ProcessEnvironment {
    package static func current() -> [String: String] {
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
