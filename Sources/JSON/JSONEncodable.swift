/// A value that can say what it looks like as JSON: what method results are encoded from.
public protocol JSONEncodable {
    var json: JSONValue { get }
}

extension JSONValue: JSONEncodable {
    public var json: JSONValue { self }
}
