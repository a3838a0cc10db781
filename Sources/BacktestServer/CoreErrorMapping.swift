import BacktestCore
import JSON
import JSONRPC

extension CoreError {
    /// The JSON-RPC error a client sees: a documented code, the core's sentence, and the facts as `data`.
    var rpcError: RPCError {
        let (code, data): (Int, JSONObject) = {
            switch self {
            case .runNotFound(let id): return (ErrorCode.runNotFound, ["run_id": .string(id)])
            case .scriptNotFound(let s, let dir):
                return (ErrorCode.scriptNotFound, ["script": .string(s), "scripts_dir": .string(dir)])
            case .scriptOutsideWorkspace(let s, let dir):
                return (ErrorCode.scriptOutsideWorkspace, ["script": .string(s), "scripts_dir": .string(dir)])
            case .scriptNotRunnable(let s, let ext, let interpreter, let searched):
                var data: JSONObject = ["script": .string(s), "extension": .string(ext)]
                if let interpreter { data["interpreter"] = .string(interpreter) }
                if let searched { data["searched"] = .string(searched) }
                return (ErrorCode.scriptNotRunnable, data)
            case .configInvalid(let path, let key, let reason):
                return (ErrorCode.configInvalid, ["path": .string(path), "key": .string(key), "reason": .string(reason)])
            case .runFinished(let id, let st):
                return (ErrorCode.runFinished, ["run_id": .string(id), "status": .string(st.rawValue)])
            case .runNotFinished(let id, let st):
                return (ErrorCode.runNotFinished, ["run_id": .string(id), "status": .string(st.rawValue)])
            case .profileNotFound(let p, let avail):
                return (ErrorCode.profileNotFound, ["profile": .string(p), "available": .from(avail)])
            case .pathOutsideRun(let id, let p):
                return (ErrorCode.pathOutsideRun, ["run_id": .string(id), "path": .string(p)])
            case .fileNotFound(let id, let p):
                return (ErrorCode.fileNotFound, ["run_id": .string(id), "path": .string(p)])
            case .resultsMissing(let id, let f):
                return (ErrorCode.resultsMissing, ["run_id": .string(id), "file": .string(f)])
            case .workspace(let path, let reason):
                return (ErrorCode.workspaceError, ["path": .string(path), "reason": .string(reason)])
            case .invalidArgument(let field, let reason):
                return (-32602, ["field": .string(field), "expected": .string(reason)])
            case .sweepNotFound(let id): return (ErrorCode.sweepNotFound, ["sweep_id": .string(id)])
            case .runsActive(let ids): return (ErrorCode.runsActive, ["run_ids": .from(ids)])
            }
        }()
        return RPCError(code: code, message: description, data: .object(data))
    }
}

extension SearchSyntaxError {
    /// -32602 saying where the `where` or `order_by` text stopped making sense: `{field, position, expected,
    /// got}`, the position in Unicode code points from 0. `got` is the client's text: echoed cut.
    var rpcError: RPCError {
        let got = ClientEcho.text(got)
        return RPCError(code: RPCErrorCode.invalidParams,
                        message: "Invalid params: \(field): expected \(expected) at position \(position), got \(got)",
                        data: ["field": .string(field), "position": .int(Int64(position)), "expected": .string(expected),
                               "got": .string(got)])
    }
}
