/// `expect.iothub`: what the IoT Hub operator's requests (`iothub` steps) achieved; nil fields are not checked.
public struct IoTHubExpectations: Sendable, Hashable {
    /// Whether the hub's messages reached their devices (a session with a matching subscription).
    public var delivered: IoTHubShare?
    /// Whether the direct method calls were answered (any status, a JSON or empty body) before their timeout.
    public var methodsAnswered: IoTHubShare?
    /// Whether the devices' twin requests (`twin:`) were answered with a success (2xx) status.
    public var twinAnswered: IoTHubShare?

    public init(delivered: IoTHubShare? = nil, methodsAnswered: IoTHubShare? = nil, twinAnswered: IoTHubShare? = nil) {
        self.delivered = delivered
        self.methodsAnswered = methodsAnswered
        self.twinAnswered = twinAnswered
    }
}

/// How many of the operator's requests must have the expected outcome.
public enum IoTHubShare: String, Sendable, Hashable, CaseIterable {
    /// Every one, and at least one was sent.
    case all
    /// Not one (IoT Hub drops a message for a device that is offline or not subscribed). Not `none`, which
    /// an optional share would mistake for nil.
    case noneOfThem = "none"
}
