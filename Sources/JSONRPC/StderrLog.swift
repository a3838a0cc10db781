import Glibc

/// Diagnostics of the layer (a client's protocol mistakes that get no answer, a client process that died).
/// Written with one `write(2)` to descriptor 2, unbuffered, so lines are whole and appear at once; never to
/// the protocol stream.
enum StderrLog {
    static func write(_ message: String) {
        var line = "jsonrpc: " + message + "\n"
        line.withUTF8 { u in _ = Glibc.write(2, u.baseAddress, u.count) }
    }
}
