import JSON

/// Applies a method's `ParamSpec`s to the params of a call, before its handler runs.
enum ParamsChecker {
    /// The params the handler gets, or the -32602 to answer with. Unknown names are refused (a typo must not
    /// be silently ignored) unless the method allows them. An explicit `null` for an optional param whose
    /// schema does not accept null counts as absent and is removed, because many clients send `null` for
    /// "not given".
    static func check(_ params: JSONObject, against spec: MethodSpec) -> Result<JSONObject, RPCError> {
        if spec.params.isEmpty {
            if params.isEmpty || spec.allowsUnknownParams { return .success(params) }
            let name = params.keys[0]
            return .failure(.invalidParams(field: name, expected: "no params (\(spec.name) takes none)",
                                           got: params[name]!))
        }
        var out = params
        for (name, value) in params {
            guard let p = spec.params.first(where: { $0.name == name }) else {
                if spec.allowsUnknownParams { continue }
                let known = spec.params.map(\.name).joined(separator: ", ")
                return .failure(.invalidParams(field: name, expected: "no such param (known: \(known))",
                                               got: value))
            }
            if value.isNull, !p.required, !SchemaValidator.acceptsNull(p.schema) {
                out[name] = nil
                continue
            }
            if let e = SchemaValidator.validate(value, against: p.schema, field: name) { return .failure(e) }
        }
        for p in spec.params where p.required && params[p.name] == nil {
            return .failure(.invalidParams(field: p.name, expected: SchemaValidator.describe(p.schema)))
        }
        return .success(out)
    }
}
