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
    /// The reply topic as the rule writes it, per-device placeholders filled in; a `{rid}` in it is filled
    /// per request (see `replyTopic(answering:)`).
    public var topic: String
    public var payload: Template
    public var qos: Int
    public var after: Duration
    /// The bound topic when it takes the request's `$rid`; nil when it is fixed.
    var requestIDTopic: Template?

    /// Where the reply to a request received on `requestTopic` goes: `topic`, its `{rid}` replaced by the
    /// request's `$rid` (IoT Hub: "the request ID must match the one in the request message"). nil when the
    /// topic needs a `$rid` that the request does not carry: the firmware cannot answer it.
    public func replyTopic(answering requestTopic: String) -> String? {
        guard let requestIDTopic else { return topic }
        guard let requestID = Self.requestID(in: requestTopic) else { return nil }
        var reply = ""
        for part in requestIDTopic.parts {
            if case .requestID = part { reply += requestID } else { reply += Template.placeholderText(part) }
        }
        return reply
    }

    /// The value of `$rid` in the query that ends an IoT Hub topic (`$iothub/methods/POST/reboot/?$rid=42`,
    /// `…/?$rid=7&$version=3`); nil when there is none, or it is empty.
    public static func requestID(in topic: String) -> Substring? {
        guard let slash = topic.lastIndex(of: "/") else { return nil }
        let level = topic[topic.index(after: slash)...]
        guard level.first == "?" else { return nil }
        for pair in level.dropFirst().split(separator: "&") where pair.hasPrefix("$rid=") {
            let value = pair.dropFirst("$rid=".count)
            return value.isEmpty ? nil : value
        }
        return nil
    }
}
