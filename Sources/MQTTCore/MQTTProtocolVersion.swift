/// The protocol level a connection speaks; it decides whether properties and reason codes exist on the wire.
public enum MQTTProtocolVersion: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// MQTT 3.1.1 (protocol level 4): no properties, CONNACK return codes instead of reason codes.
    case v3_1_1 = 4
    /// MQTT 5.0 (protocol level 5).
    case v5_0 = 5

    public var description: String {
        switch self {
        case .v3_1_1: return "3.1.1"
        case .v5_0: return "5.0"
        }
    }
}

/// Delivery guarantee of a message; ordered so that a broker's maximum can be compared with a request.
public enum QoS: UInt8, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "QoS \(rawValue)" }
}
