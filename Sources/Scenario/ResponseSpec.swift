/// How a device answers a message it receives: the firmware's command handler (a reboot request, a
/// configuration push acknowledged), so a scenario can time cloud → device → cloud round trips.
public struct ResponseSpec: Sendable, Hashable {
    /// The messages this rule answers: a topic filter, usually one of the group's subscriptions.
    public var on: Template
    /// Where the reply goes; an MQTT 5 request's Response Topic takes precedence.
    public var topic: Template
    public var payload: Template
    public var qos: Int
    /// The firmware's processing time before it replies.
    public var after: Duration

    public init(on: Template, topic: Template, payload: Template, qos: Int, after: Duration) {
        self.on = on
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.after = after
    }
}

/// One device's response rule, per-device placeholders filled in (the payload keeps its per-message ones).
public struct DeviceResponse: Sendable, Hashable {
    public var on: String
    public var topic: String
    public var payload: Template
    public var qos: Int
    public var after: Duration
}
