import JSON

/// The specs of what the layer itself serves (the LSP-like lifecycle and discovery). They live in every
/// `MethodRegistry` from the start, so capabilities and the OpenRPC document list them whether or not a
/// server has been created yet.
enum BuiltinMethods {
    static let initialize = "initialize"
    static let shutdown = "shutdown"
    static let discover = "rpc.discover"
    static let initialized = "initialized"
    static let exit = "exit"
    static let cancelRequest = "$/cancelRequest"

    static var methods: [MethodSpec] {
        [
            MethodSpec(
                name: initialize,
                summary: "Starts the session: who the client is; answers what the server offers.",
                description: "Optional unless the server runs with --strict. Every param is optional; other "
                    + "LSP initialize params are accepted and ignored. If processId is given, the server leaves "
                    + "as on end of input when that process dies.",
                params: [
                    ParamSpec(name: "processId", schema: ["type": ["integer", "null"]],
                              description: "The client's process id, watched by the server."),
                    ParamSpec(name: "rootUri", schema: ["type": ["string", "null"]],
                              description: "file:// URI of the workspace."),
                    ParamSpec(name: "rootPath", schema: ["type": ["string", "null"]],
                              description: "Path of the workspace (rootUri wins when both are given)."),
                    ParamSpec(name: "clientInfo",
                              schema: ["type": "object",
                                       "properties": ["name": ["type": "string"], "version": ["type": "string"]]],
                              description: "The client's name and version, for logs."),
                    ParamSpec(name: "capabilities", schema: ["type": "object"],
                              description: "What the client supports (currently unused)."),
                ],
                result: [
                    "title": "InitializeResult",
                    "type": "object",
                    "required": ["serverInfo", "protocol_version", "capabilities"],
                    "properties": [
                        "serverInfo": ["type": "object", "required": ["name", "version"],
                                       "properties": ["name": ["type": "string"], "version": ["type": "string"]]],
                        "protocol_version": ["type": "string"],
                        "capabilities": [
                            "type": "object",
                            "properties": [
                                "methods": ["type": "array", "items": ["type": "string"]],
                                "notifications": ["type": "array", "items": ["type": "string"]],
                                "framing": ["enum": ["ndjson", "lsp"]],
                            ],
                        ],
                    ],
                ],
                execution: .inline,
                allowsUnknownParams: true),
            MethodSpec(
                name: shutdown,
                summary: "Asks the server to prepare to exit; later requests answer 1001 shutting_down.",
                result: ["title": "ShutdownResult", "type": "null"],
                execution: .inline),
            MethodSpec(
                name: discover,
                summary: "Returns this OpenRPC document.",
                result: ["title": "OpenRPCDocument", "type": "object"],
                execution: .inline),
        ]
    }

    /// Client→server notifications the layer handles, listed as `x-client-notifications`.
    static var clientNotifications: [NotificationSpec] {
        [
            NotificationSpec(name: cancelRequest,
                             summary: "Cancels a request in flight, which then answers -32800. Other $/ notifications are ignored.",
                             params: [ParamSpec(name: "id", schema: ["type": ["integer", "string"]], required: true)]),
            NotificationSpec(name: exit, summary: "Exits the server: code 0 after shutdown, else 1."),
            NotificationSpec(name: initialized, summary: "Accepted after initialize; no effect."),
        ]
    }

    static func isBuiltin(_ name: String) -> Bool {
        name == initialize || name == shutdown || name == discover
    }
}
