import JSON

/// Writes outgoing messages straight into bytes with the hand-written `JSONWriter` (no intermediate
/// `JSONValue` for the envelope, no Foundation): this is the hot path of every answer.
enum MessageEncoder {
    /// `{"jsonrpc":"2.0","id":…,"result":…}`. Numbers kept as the client wrote them (a run's params, in
    /// `status`, `list`, `compare`) are written that way, as run.json has them.
    static func result(id: RequestID, _ result: JSONValue) -> [UInt8] {
        var w = JSONWriter(reserving: 128)
        w.numbersAsWritten = true
        w.append("{\"jsonrpc\":\"2.0\",\"id\":")
        writeID(&w, id)
        w.append(",\"result\":")
        w.write(result)
        w.bytes.append(UInt8(ascii: "}"))
        return w.bytes
    }

    /// `{"jsonrpc":"2.0","id":…|null,"error":{code,message,data?}}`. Every string of the error is held to
    /// `ClientEcho.maxErrorTextBytes`, and numbers in `data` are written as the client wrote them (they
    /// echo its input).
    static func error(id: RequestID?, _ error: RPCError) -> [UInt8] {
        let error = ClientEcho.bounded(error)
        var w = JSONWriter(reserving: 160)
        w.numbersAsWritten = true
        w.append("{\"jsonrpc\":\"2.0\",\"id\":")
        if let id { writeID(&w, id) } else { w.append("null") }
        w.append(",\"error\":{\"code\":")
        w.writeInt(Int64(error.code))
        w.append(",\"message\":")
        w.writeString(error.message)
        if let data = error.data {
            w.append(",\"data\":")
            w.write(data)
        }
        w.append("}}")
        return w.bytes
    }

    /// `{"jsonrpc":"2.0","method":…,"params":…}`; `params` is left out when it is `null`.
    static func notification(method: String, params: JSONValue) -> [UInt8] {
        var w = JSONWriter(reserving: 256)
        w.append("{\"jsonrpc\":\"2.0\",\"method\":")
        w.writeString(method)
        if !params.isNull {
            w.append(",\"params\":")
            w.write(params)
        }
        w.bytes.append(UInt8(ascii: "}"))
        return w.bytes
    }

    /// A notification whose params object is already encoded (the caller guarantees valid JSON).
    static func notification(method: String, encodedParams: [UInt8]) -> [UInt8] {
        var w = JSONWriter(reserving: encodedParams.count + 64)
        w.append("{\"jsonrpc\":\"2.0\",\"method\":")
        w.writeString(method)
        w.append(",\"params\":")
        w.appendRaw(encodedParams)
        w.bytes.append(UInt8(ascii: "}"))
        return w.bytes
    }

    /// A batch answer: the encoded responses joined into one array.
    static func batch(_ responses: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(responses.reduce(2) { $0 + $1.count + 1 })
        out.append(UInt8(ascii: "["))
        for (n, r) in responses.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: r)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The id exactly as the client wrote it.
    private static func writeID(_ w: inout JSONWriter, _ id: RequestID) {
        w.bytes.append(contentsOf: id.text.utf8)
    }
}
