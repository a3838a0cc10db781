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
        // JSON-RPC 2.0 allows any number and null (see RequestIDTests for their texts).
        XCTAssertEqual(RequestID(json: 5.5)?.text, "5.5")
        XCTAssertEqual(RequestID(json: nil)?.text, "null")
        XCTAssertNil(RequestID(json: [1]))
        XCTAssertNil(RequestID(json: true))
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

    func testIntegersPast2To53AreRefusedWithFieldExpectedAndGot() throws {
        func error(_ text: String, _ s: JSONValue = ["type": "integer", "minimum": 0]) throws -> JSONValue? {
            SchemaValidator.validate(try JSONParser.parse(text, keepingNumberText: true), against: s, field: "offset")?.data
        }
        for ok in ["0", "9007199254740992", "-9007199254740992", "9007199254740992.0", "9.007199254740992e15", "1e3"] {
            XCTAssertNil(try error(ok, ["type": "integer"]), ok)
        }
        for bad in ["1e16", "9007199254740993", "-9007199254740993", "18446744073709551616"] {
            let data = try XCTUnwrap(try error(bad, ["type": "integer"]), bad)
            XCTAssertEqual(data["field"], "offset", bad)
            XCTAssertEqual(data["expected"], "integer (an integer at most 2^53 = 9007199254740992 in magnitude)", bad)
            XCTAssertEqual(data["got"].numberText, bad, "got echoes the number as written")
        }
        // Nullable integers say it too; a fraction is just not an integer; a declared maximum speaks for itself.
        XCTAssertEqual(try error("1e16", ["oneOf": [["type": "integer"], ["type": "null"]]])?["expected"],
                       "integer or null (an integer at most 2^53 = 9007199254740992 in magnitude)")
        XCTAssertEqual(try error("1.5")?["expected"], "integer >= 0")
        XCTAssertEqual(try error("20", ["type": "integer", "maximum": 10])?["expected"], "integer <= 10")
        // An infinite number (1e400 reads as infinity) is neither an integer nor a number.
        XCTAssertEqual(try error("1e400", ["type": "integer"])?["expected"], "integer")
        XCTAssertNotNil(try error("1e400", ["type": "number"]))
        XCTAssertNil(try error("1e300", ["type": "number"]))
        // intValue agrees with the checker at the bound, so a checked param never reads as absent.
        XCTAssertEqual(try JSONParser.parse("9007199254740992.0").intValue, 9_007_199_254_740_992)
        XCTAssertNil(try JSONParser.parse("1e16").intValue)
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
