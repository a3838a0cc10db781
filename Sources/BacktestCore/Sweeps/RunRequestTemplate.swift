import JSON

/// A `RunRequest` without its params, as a sweep keeps it for every run it has still to create.
enum RunRequestTemplate {
    static func json(_ r: RunRequest) -> JSONObject {
        var o = JSONObject()
        o.appendUnchecked("script", .string(r.script))
        o.appendUnchecked("args", .from(r.args))
        o.appendUnchecked("env", .object(JSONObject(pairs: r.env.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        o.appendUnchecked("timeout_s", r.timeoutSeconds.map(JSONValue.double) ?? .null)
        o.appendUnchecked("tags", .from(r.tags))
        o.appendUnchecked("note", .from(r.note))
        o.appendUnchecked("profile", .from(r.profile))
        o.appendUnchecked("inputs", .from(r.inputs))
        if let arg = r.outputDirArg { o.appendUnchecked("output_dir_arg", .from(arg)) }
        o.appendUnchecked("cache", .string(r.cache.rawValue))
        if !r.sbatchArgs.isEmpty { o.appendUnchecked("sbatch_args", .from(r.sbatchArgs)) }
        return o
    }

    static func request(_ o: JSONObject, params: JSONObject) -> RunRequest {
        var env: [String: String] = [:]
        for (k, v) in o["env"]?.objectValue ?? [:] { if let s = v.stringValue { env[k] = s } }
        var r = RunRequest(script: o["script"]?.stringValue ?? "", params: params,
                           args: o["args"]?.arrayValue?.compactMap(\.stringValue) ?? [], env: env,
                           timeoutSeconds: o["timeout_s"]?.doubleValue,
                           tags: o["tags"]?.arrayValue?.compactMap(\.stringValue) ?? [], note: o["note"]?.stringValue,
                           profile: o["profile"]?.stringValue, inputs: o["inputs"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if let arg = o["output_dir_arg"] { r.outputDirArg = .some(arg.stringValue) }
        r.cache = o["cache"]?.stringValue.flatMap(CacheMode.init(rawValue:)) ?? .reuse
        r.sbatchArgs = o["sbatch_args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return r
    }
}
