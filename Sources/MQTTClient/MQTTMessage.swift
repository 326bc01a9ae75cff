import MQTTCore
import NIOCore

/// An application message to publish. The connection adds the packet identifier and, when topic
/// aliases are in use, the alias.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    /// MQTT 5 publish properties (message expiry, content type, user properties, …).
    public var properties: MQTTProperties

    public init(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false,
        properties: MQTTProperties = []
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

/// Identifies one publish/subscribe/unsubscribe until its acknowledgement arrives. Unique per
/// connection (unlike packet identifiers, which are reused).
public struct MQTTRequestID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "#\(rawValue)" }
}

/// How a request was acknowledged. A reason code of 0x80 or above is the broker's refusal
/// (e.g. PUBACK "Not authorized"), reported here rather than as an error because the
/// connection itself is fine.
public enum MQTTRequestOutcome: Sendable, Hashable {
    /// PUBACK (QoS 1) or PUBCOMP (QoS 2, or PUBREC when it carried a failure); `.success` for QoS 0
    /// once written.
    case published(ReasonCode)
    /// SUBACK, one code per subscription (granted QoS or failure).
    case subscribed([ReasonCode])
    /// UNSUBACK, one code per filter (MQTT 3.1.1 has none: all `.success`).
    case unsubscribed([ReasonCode])
}
