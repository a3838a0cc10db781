import Base
import JSON

/// One entry of a run's status history.
public struct StatusChange: Sendable, Equatable {
    public var status: RunStatus
    public var atMillis: Int64

    public init(status: RunStatus, atMillis: Int64) { self.status = status; self.atMillis = atMillis }

    public func json() -> JSONValue { ["status": .string(status.rawValue), "at": .string(ISOTime.format(millis: atMillis))] }

    public init?(json v: JSONValue) {
        guard let s = v["status"].stringValue.flatMap(RunStatus.init(rawValue:)),
              let at = v["at"].stringValue.flatMap(ISOTime.parse) else { return nil }
        self.init(status: s, atMillis: at)
    }
}
