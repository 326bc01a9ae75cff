/// The service side of a cloud broker, as the timeline's `iothub` steps use it: the fleet hands it one
/// request per selected device and learns whether the device got it. The run supplies it (the lab
/// broker's IoT Hub endpoint); the fleet knows no broker.
public protocol CloudServiceOperator: Sendable {
    /// Sends a step's requests, in order (one result each): what the hub did, or why it refused a request.
    func send(_ requests: [CloudRequest]) async -> [Result<CloudDelivery, CloudRequestRefused>]
    /// Direct method calls that ended since the last call (answers and timeouts), oldest first.
    func takeMethodCompletions() async -> [CloudMethodCompletion]
}

/// What the operator sends to one device, its templates rendered.
public struct CloudRequest: Sendable, Hashable {
    public enum Message: Sendable, Hashable {
        /// Payload text, and the application properties the hub puts in the topic's property bag.
        case cloudToDevice(payload: String, properties: [CloudProperty])
        /// A JSON object merged into the device twin's desired properties.
        case desiredPatch(json: String)
        /// A direct method call; nil timeout: the hub's default.
        case directMethod(name: String, payload: String, timeout: Duration?)
    }

    public var deviceID: String
    public var message: Message

    public init(deviceID: String, message: Message) {
        self.deviceID = deviceID
        self.message = message
    }
}

public struct CloudProperty: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What the hub did with one request.
public struct CloudDelivery: Sendable, Hashable {
    /// The topic the message went out on.
    public var topic: String
    /// The device had a session with a matching subscription; false: the hub dropped the message.
    public var delivered: Bool
    /// A direct method call's `$rid`; its completion comes later from `takeMethodCompletions()`.
    public var requestID: String?

    public init(topic: String, delivered: Bool, requestID: String? = nil) {
        self.topic = topic
        self.delivered = delivered
        self.requestID = requestID
    }
}

/// The hub refused a request before sending anything (an invalid device ID or method name, a payload too
/// large, an invalid patch, too many calls pending, a hub that is not running).
public struct CloudRequestRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// How one direct method call ended.
public struct CloudMethodCompletion: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case answered(status: Int)
        /// An answer whose body is not JSON (IoT Hub requires a JSON or empty body).
        case malformed(status: Int)
        case timedOut
    }

    public var requestID: String
    public var deviceID: String
    public var method: String
    public var outcome: Outcome
    /// From the call to the answer, or to the call's timeout.
    public var roundTrip: Duration

    public init(requestID: String, deviceID: String, method: String, outcome: Outcome, roundTrip: Duration) {
        self.requestID = requestID
        self.deviceID = deviceID
        self.method = method
        self.outcome = outcome
        self.roundTrip = roundTrip
    }
}
