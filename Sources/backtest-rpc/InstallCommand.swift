import Foundation
import Glibc

/// `backtest-rpc install [--prefix DIR]`: copies this binary to `DIR/bin/backtest-rpc` (default `~/.local`),
/// where every client looks for it (`backtest-rpc` on PATH) with no configuration and no root. The copy is
/// written beside the target and renamed over it, so a server that is running keeps its old file.
enum InstallCommand {
    static let usage = "usage: backtest-rpc install [--prefix DIR]   (default prefix: ~/.local)"

    static func main(arguments: [String]) -> Int32 {
        var prefix: String?
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--prefix" where i + 1 < arguments.count: prefix = arguments[i + 1]; i += 2
            case "--help", "-h": print(usage); return 0
            default: fail("unknown argument \(arguments[i])\n\(usage)"); return 2
            }
        }
        guard let root = prefix ?? ProcessInfo.processInfo.environment["HOME"].map({ $0 + "/.local" }) else {
            fail("no --prefix and no $HOME\n\(usage)")
            return 2
        }
        let bin = URL(fileURLWithPath: root).standardizedFileURL.appendingPathComponent("bin")
        let target = bin.appendingPathComponent("backtest-rpc").path
        do {
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"))
            let temporary = target + ".install-\(getpid())"
            try data.write(to: URL(fileURLWithPath: temporary))
            chmod(temporary, 0o755)
            guard rename(temporary, target) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                fail("cannot install \(target): \(reason)")
                return 1
            }
        } catch {
            fail("cannot install \(target): \(error.localizedDescription)")
            return 1
        }
        print("installed \(target)")
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if !path.contains(bin.path) {
            print("note: \(bin.path) is not on your PATH; add it (export PATH=\"\(bin.path):$PATH\") so clients find backtest-rpc")
        }
        return 0
    }

    private static func fail(_ text: String) {
        FileHandle.standardError.write(Data(("backtest-rpc install: " + text + "\n").utf8))
    }
}
