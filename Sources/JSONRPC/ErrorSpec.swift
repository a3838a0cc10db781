/// An application error a method can answer with, as documented in the OpenRPC document: the same three
/// fields as the error it answers with, whose `data` here is a JSON Schema of that error's data, or an example.
public typealias ErrorSpec = RPCError
