// The libFuzzer entry point for deep runs of the input parsers, outside the test suite (a libFuzzer target
// in Package.swift would break `swift build`). Tests/Fuzz/run.sh compiles this file together with the JSON
// layer's sources and the frame parser into one module; it is not part of any SwiftPM target.

/// One input, checked against properties rather than expected outputs:
/// - the JSON parser never crashes, reads the same values with and without `keepingNumberText`, and what
///   the writer makes of a value parses back and writes the same again (either way of writing numbers);
/// - `JSONRawSpan` finds every member and element of a parsed container, and its bytes parse to that value;
/// - the frame parser, judging bodies as the server does, gives the same events whether the input comes
///   whole, in two pieces or a byte at a time (no lost, doubled or reordered frames), in every framing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkJSON(bytes)
    for framing in [Framing.auto, .lsp, .ndjson] { checkFrames(bytes, framing) }
    return 0
}

private func checkJSON(_ bytes: [UInt8]) {
    let plain = try? JSONParser.parse(bytes)
    let kept = try? JSONParser.parse(bytes, keepingNumberText: true)
    precondition((plain == nil) == (kept == nil), "the two number modes disagree on validity")
    guard let plain, let kept else { return }
    precondition(plain == kept, "a kept number is not equal to its value")
    for asWritten in [false, true] {
        let once = JSONWriter.encode(kept, numbersAsWritten: asWritten)
        guard let again = try? JSONParser.parse(once, keepingNumberText: asWritten) else {
            preconditionFailure("the writer wrote something the parser refuses")
        }
        precondition(JSONWriter.encode(again, numbersAsWritten: asWritten) == once, "writing is not idempotent")
    }
    checkSpans(bytes, kept)
}

private func checkSpans(_ bytes: [UInt8], _ value: JSONValue) {
    var paths: [(JSONRawSpan.Step, JSONValue)] = []
    switch value {
    case .object(let o): paths = o.map { (.member($0.key), $0.value) }
    case .array(let a): paths = a.enumerated().map { (.index($0.offset), $0.element) }
    default: return
    }
    for (step, expected) in paths {
        guard let range = JSONRawSpan.locate([step], in: bytes) else { preconditionFailure("no span for \(step)") }
        guard let found = try? JSONParser.parse(Array(bytes[range]), keepingNumberText: true) else {
            preconditionFailure("the span of \(step) is not a JSON value")
        }
        precondition(found == expected, "the span of \(step) holds another value")
    }
}

private func checkFrames(_ bytes: [UInt8], _ framing: Framing) {
    func judge(_ body: [UInt8]) -> Bool { (try? JSONParser.parse(body)) != nil }
    func run(_ chunks: [ArraySlice<UInt8>]) -> [FrameParser.Event] {
        var p = FrameParser(framing: framing, maxMessageSize: 256)
        var out: [FrameParser.Event] = []
        for c in chunks { out += p.feed(Array(c), accepting: judge) }
        return out + p.finish()
    }
    let whole = run([bytes[...]])
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    precondition(run([bytes[..<cut], bytes[cut...]]) == whole, "splitting the input in two changed the events")
    if bytes.count <= 512 {
        precondition(run(bytes.indices.map { bytes[$0...$0] }) == whole, "feeding byte by byte changed the events")
    }
}
