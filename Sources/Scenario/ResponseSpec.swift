/// How a device answers a message it receives: the firmware's command handler (a reboot request, a
/// configuration push acknowledged), so a scenario can time cloud → device → cloud round trips.
public struct ResponseSpec: Sendable, Hashable {
    /// The messages this rule answers: a topic filter, usually one of the group's subscriptions.
    public var filter: Template
    /// Where the reply goes; an MQTT 5 request's Response Topic takes precedence.
    public var topic: Template
    public var payload: Template
    public var qos: Int
    /// The firmware's processing time before it replies.
    public var after: Duration

    public init(filter: Template, topic: Template, payload: Template, qos: Int, after: Duration) {
        self.filter = filter
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.after = after
    }
}

/// One device's response rule, per-device placeholders filled in (the payload keeps its per-message ones).
public struct DeviceResponse: Sendable, Hashable {
    public var filter: String
    /// The reply topic as the rule writes it, per-device placeholders filled in; a `{rid}` or `{method}` in it
    /// is filled per request (see `replyTopic(_:)`).
    public var topic: String
    /// Per-message placeholders and the request's `{rid}` / `{method}` left to fill at each reply.
    public var payload: Template
    public var qos: Int
    public var after: Duration
    /// The bound topic when it takes parts of the request (`$rid`, the method name); nil when it is fixed.
    var requestIDTopic: Template?

    /// What the reply to a request received on `requestTopic` takes from it; nil when the rule's topic or
    /// payload needs a `$rid` or method name that the request does not carry: the firmware cannot answer it.
    public func captures(answering requestTopic: String) -> RequestCaptures? {
        let captures = RequestCaptures(topic: requestTopic)
        guard captures.covers(payload), requestIDTopic.map(captures.covers) ?? true else { return nil }
        return captures
    }

    /// Where the reply goes: `topic`, its `{rid}` and `{method}` replaced by the request's (IoT Hub: "the request
    /// ID must match the one in the request message").
    public func replyTopic(_ captures: RequestCaptures) -> String {
        requestIDTopic.map(captures.render) ?? topic
    }

    /// `replyTopic(_:)` for a request received on `requestTopic`; nil when it cannot be answered.
    public func replyTopic(answering requestTopic: String) -> String? {
        captures(answering: requestTopic).map(replyTopic)
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
