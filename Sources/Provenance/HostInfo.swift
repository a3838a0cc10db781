import Base
import Glibc
import JSON

/// The machine a run ran on.
public struct HostInfo: Sendable, Equatable {
    public var name: String
    /// `Linux 6.1.0-18-amd64 (Debian GNU/Linux 12 (bookworm))`: kernel and, when known, the distribution.
    public var os: String
    public var cores: Int

    public init(name: String, os: String, cores: Int) {
        self.name = name
        self.os = os
        self.cores = cores
    }

    /// This machine.
    public static func current() -> HostInfo {
        var buffer = [UInt8](repeating: 0, count: 256)
        let ok = buffer.withUnsafeMutableBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count - 1) == 0 }
        }
        let name = ok ? String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self) : "unknown"
        var u = utsname()
        var os = "unknown"
        if uname(&u) == 0 {
            let sys = withUnsafeBytes(of: &u.sysname) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            let rel = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            os = "\(sys) \(rel)"
        }
        if let release = try? FileSystem.readFile("/etc/os-release", limit: 64 << 10) {
            for line in String(decoding: release, as: UTF8.self).split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                var value = line.dropFirst("PRETTY_NAME=".count)
                if value.first == "\"" { value = value.dropFirst() }
                if value.last == "\"" { value = value.dropLast() }
                os += " (\(value))"
            }
        }
        return HostInfo(name: name, os: os, cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    public func json() -> JSONValue {
        .object(JSONObject(pairs: [("name", .string(name)), ("os", .string(os)), ("cores", .int(Int64(cores)))]))
    }
}
