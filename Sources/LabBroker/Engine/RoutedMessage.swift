import MQTTCore
import NIOCore

/// An application message on its way through the broker: what a session queues, the retained store
/// keeps and a delivery turns into a PUBLISH. Topic and payload are shared, never copied.
struct RoutedMessage {
    var topic: String
    var payload: ByteBuffer
    var qos: QoS
    var retain: Bool
    /// The publisher's properties as they are forwarded (MQTT 5): Topic Alias and Subscription
    /// Identifiers removed, since both belong to one connection (§3.3.2.3.4, §3.3.4).
    var properties: MQTTProperties
    /// When the Message Expiry Interval runs out (§3.3.2.3.3); nil: never.
    var expiry: Expiry?

    struct Expiry {
        var deadline: NIODeadline
        /// The interval the publisher gave, so an undelayed delivery forwards its properties unchanged.
        var interval: UInt32
    }

    init(topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: MQTTProperties, now: NIODeadline) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        if let interval = properties.messageExpiryInterval {
            expiry = Expiry(deadline: now + .seconds(Int64(interval)), interval: interval)
        }
    }

    /// What the message weighs against a session queue's byte bound.
    var byteCount: Int { topic.utf8.count + payload.readableBytes }

    func isExpired(at now: NIODeadline) -> Bool {
        guard let expiry else { return false }
        return now >= expiry.deadline
    }

    /// The properties a delivery at `now` carries: the Message Expiry Interval lowered by the time the
    /// message waited (§3.3.2.3.3), and one Subscription Identifier per matching subscription.
    func forwardedProperties(now: NIODeadline, subscriptionIdentifiers: [UInt32]) -> MQTTProperties {
        var forwarded = properties
        if let expiry {
            let remainingNanoseconds = (expiry.deadline - now).nanoseconds
            let remaining = UInt32(clamping: (remainingNanoseconds + 999_999_999) / 1_000_000_000)
            if remaining != expiry.interval {
                forwarded.removeAll(.messageExpiryInterval)
                forwarded.append(.messageExpiryInterval(max(1, remaining)))
            }
        }
        for identifier in subscriptionIdentifiers {
            forwarded.append(.subscriptionIdentifier(identifier))
        }
        return forwarded
    }
}
