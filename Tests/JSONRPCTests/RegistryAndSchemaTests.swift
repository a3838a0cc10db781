import JSON
@testable import JSONRPC
import XCTest

/// The pure parts of dispatch: error factories, schema checks, the OpenRPC document.
final class RegistryAndSchemaTests: XCTestCase {
    func testErrorFactoriesUseTheDocumentedCodesAndData() {
        XCTAssertEqual(RPCError.parseError(reason: "r", offset: 3).json["data"], ["reason": "r", "offset": 3])
        XCTAssertEqual(RPCError.parseError(reason: "r").json["data"], ["reason": "r"])
        XCTAssertEqual(RPCError.invalidRequest(reason: "r").code, -32600)
        XCTAssertEqual(RPCError.methodNotFound("m").data, ["method": "m"])
        XCTAssertEqual(RPCError.invalidParams(field: "f", expected: "e", got: 1).data, ["field": "f", "expected": "e", "got": 1])
        XCTAssertEqual(RPCError.invalidParams(field: "f", expected: "e").data, ["field": "f", "expected": "e"])
        XCTAssertEqual(RPCError.internalError(reason: "r").code, -32603)
        XCTAssertEqual(RPCError.serverNotInitialized(method: "m").code, -32002)
        XCTAssertEqual(RPCError.requestCancelled(id: .string("x")).data, ["id": "x"])
        XCTAssertEqual(RPCError.requestCancelled(id: .int(4)).code, -32800)
        XCTAssertEqual(RPCError.shuttingDown(method: "m").code, 1001)
        XCTAssertEqual(RPCError.messageTooLarge(size: 10, limit: 5).data, ["size": 10, "limit": 5])
        XCTAssertEqual(RPCError.messageTooLarge(size: 10, limit: 5).code, 1002)
    }

    func testRequestIDs() {
        XCTAssertEqual(RequestID(json: 5), .int(5))
        XCTAssertEqual(RequestID(json: "5"), .string("5"))
        XCTAssertNil(RequestID(json: 5.5))
        XCTAssertNil(RequestID(json: nil))
        XCTAssertNil(RequestID(json: [1]))
        XCTAssertEqual(RequestID.string("a").json, "a")
    }

    func testSchemaDescriptions() {
        XCTAssertEqual(SchemaValidator.describe(["type": "integer", "minimum": 1]), "integer >= 1")
        XCTAssertEqual(SchemaValidator.describe(["enum": ["asc", "desc"]]), "one of \"asc\", \"desc\"")
        XCTAssertEqual(SchemaValidator.describe(["anyOf": [["type": "string"], ["type": "array", "items": ["type": "string"]]]]),
                       "string or array of string")
        XCTAssertEqual(SchemaValidator.describe(["type": "string", "minLength": 1]), "string non-empty")
    }

    func testSchemaValidation() {
        func error(_ v: JSONValue, _ s: JSONValue) -> JSONValue? { SchemaValidator.validate(v, against: s, field: "p")?.data }
        XCTAssertNil(error(5, ["type": "integer"]))
        XCTAssertNil(error(5.0, ["type": "integer"]))
        XCTAssertNotNil(error(5.5, ["type": "integer"]))
        XCTAssertNil(error(5.5, ["type": "number", "exclusiveMaximum": 6]))
        XCTAssertNotNil(error(6, ["type": "number", "exclusiveMaximum": 6]))
        XCTAssertNil(error(nil, ["type": ["string", "null"]]))
        XCTAssertNotNil(error("", ["type": "string", "minLength": 1]))
        XCTAssertNotNil(error([1, 2, 3], ["type": "array", "maxItems": 2]))
        XCTAssertEqual(error(["a": ["b": 1]], ["type": "object", "properties": ["a": ["type": "object", "properties": ["b": ["type": "string"]]]]])?["field"],
                       "p.a.b")
        XCTAssertEqual(error(["x": 1], ["type": "object", "properties": ["y": [:]], "additionalProperties": false])?["field"], "p.x")
        XCTAssertEqual(error([:], ["type": "object", "required": ["y"]])?["field"], "p.y")
        XCTAssertEqual(error(["ok", 2], ["type": "array", "items": ["type": "string"]])?["field"], "p[1]")
        XCTAssertNil(error("anything", [:]), "an empty schema accepts anything")
        XCTAssertNil(error(5, ["const": 5.0]))
    }

    func testOpenRPCDocumentIsSortedDeterministicAndComplete() {
        func make() -> MethodRegistry {
            let r = MethodRegistry()
            r.register(MethodSpec(name: "zeta", summary: "z", params: [ParamSpec(name: "b", schema: ["type": "string"], required: true, description: "B"),
                                                                        ParamSpec(name: "a", schema: ["type": "integer"])],
                                  result: ["title": "Zeta", "type": "object"],
                                  errors: [ErrorSpec(code: 2001, message: "run not found", data: ["type": "object"])])) { _, _ in nil }
            r.register(MethodSpec(name: "alpha", summary: "a", description: "long", result: ["type": "null"])) { _, _ in nil }
            r.register(MethodSpec(name: "debug/x", summary: "hidden", result: [:], hidden: true)) { _, _ in nil }
            r.declare(NotificationSpec(name: "run/status", summary: "s", params: [ParamSpec(name: "run_id", schema: ["type": "string"], required: true)]))
            r.declare(NotificationSpec(name: "run/log", summary: "l"))
            return r
        }
        let a = make().openRPCDocument(title: "T", version: "1.0", description: "D")
        let b = make().openRPCDocument(title: "T", version: "1.0", description: "D")
        XCTAssertEqual(JSONWriter.pretty(a), JSONWriter.pretty(b), "byte-for-byte deterministic")
        XCTAssertEqual(a["openrpc"], "1.3.2")
        XCTAssertEqual(a["info"], ["title": "T", "version": "1.0", "description": "D"])
        let names = a["methods"].arrayValue?.compactMap { $0["name"].stringValue }
        XCTAssertEqual(names, ["alpha", "initialize", "rpc.discover", "shutdown", "zeta"])
        let zeta = a["methods"].arrayValue!.last!
        XCTAssertEqual(zeta["paramStructure"], "by-name")
        XCTAssertEqual(zeta["params"].arrayValue?.map { $0["name"] }, ["b", "a"], "params keep their declared order")
        XCTAssertEqual(zeta["params"].arrayValue?.first, ["name": "b", "description": "B", "required": true, "schema": ["type": "string"]])
        XCTAssertEqual(zeta["result"], ["name": "Zeta", "schema": ["title": "Zeta", "type": "object"]])
        XCTAssertEqual(zeta["errors"], [["code": 2001, "message": "run not found", "data": ["type": "object"]]])
        XCTAssertEqual(a["methods"].arrayValue!.first!["description"], "long")
        XCTAssertEqual(a["x-notifications"].arrayValue?.map { $0["name"] }, ["run/log", "run/status"])
        XCTAssertEqual(a["x-client-notifications"].arrayValue?.map { $0["name"] }, ["$/cancelRequest", "exit", "initialized"])
        XCTAssertEqual(a["components"]["errors"]["message_too_large"]["code"], 1002)
        XCTAssertEqual(a["components"]["errors"].objectValue?.count, 9)
        XCTAssertEqual(make().methodNames, ["alpha", "initialize", "rpc.discover", "shutdown", "zeta"])
    }
}
