import NIOCore

/// One MQTT 5 property, typed by its meaning. The wire identifier, wire type and the packets a property
/// may appear in are derived from the case, so encoder and decoder cannot disagree about them.
public enum MQTTProperty: Sendable, Hashable {
    case payloadFormatIndicator(UInt8)
    case messageExpiryInterval(UInt32)
    case contentType(String)
    case responseTopic(String)
    case correlationData(ByteBuffer)
    case subscriptionIdentifier(UInt32)
    case sessionExpiryInterval(UInt32)
    case assignedClientIdentifier(String)
    case serverKeepAlive(UInt16)
    case authenticationMethod(String)
    case authenticationData(ByteBuffer)
    case requestProblemInformation(UInt8)
    case willDelayInterval(UInt32)
    case requestResponseInformation(UInt8)
    case responseInformation(String)
    case serverReference(String)
    case reasonString(String)
    case receiveMaximum(UInt16)
    case topicAliasMaximum(UInt16)
    case topicAlias(UInt16)
    case maximumQoS(QoS)
    case retainAvailable(Bool)
    case userProperty(String, String)
    case maximumPacketSize(UInt32)
    case wildcardSubscriptionAvailable(Bool)
    case subscriptionIdentifierAvailable(Bool)
    case sharedSubscriptionAvailable(Bool)

    /// The property identifier written before the value.
    public var identifier: MQTTPropertyIdentifier {
        switch self {
        case .payloadFormatIndicator: return .payloadFormatIndicator
        case .messageExpiryInterval: return .messageExpiryInterval
        case .contentType: return .contentType
        case .responseTopic: return .responseTopic
        case .correlationData: return .correlationData
        case .subscriptionIdentifier: return .subscriptionIdentifier
        case .sessionExpiryInterval: return .sessionExpiryInterval
        case .assignedClientIdentifier: return .assignedClientIdentifier
        case .serverKeepAlive: return .serverKeepAlive
        case .authenticationMethod: return .authenticationMethod
        case .authenticationData: return .authenticationData
        case .requestProblemInformation: return .requestProblemInformation
        case .willDelayInterval: return .willDelayInterval
        case .requestResponseInformation: return .requestResponseInformation
        case .responseInformation: return .responseInformation
        case .serverReference: return .serverReference
        case .reasonString: return .reasonString
        case .receiveMaximum: return .receiveMaximum
        case .topicAliasMaximum: return .topicAliasMaximum
        case .topicAlias: return .topicAlias
        case .maximumQoS: return .maximumQoS
        case .retainAvailable: return .retainAvailable
        case .userProperty: return .userProperty
        case .maximumPacketSize: return .maximumPacketSize
        case .wildcardSubscriptionAvailable: return .wildcardSubscriptionAvailable
        case .subscriptionIdentifierAvailable: return .subscriptionIdentifierAvailable
        case .sharedSubscriptionAvailable: return .sharedSubscriptionAvailable
        }
    }

    /// The packets (and the will) in which this property may appear.
    public var allowedPlacements: MQTTPropertyPlacement { identifier.allowedPlacements }

    /// Whether the value is one the specification permits (e.g. Receive Maximum 0, Topic Alias 0 and a
    /// Maximum QoS of 2 are protocol errors). Encoder and decoder both enforce it.
    public var hasValidValue: Bool {
        switch self {
        case .payloadFormatIndicator(let value), .requestProblemInformation(let value),
            .requestResponseInformation(let value):
            return value <= 1
        case .subscriptionIdentifier(let value):
            return value >= 1 && value <= VariableByteInteger.maximum
        case .receiveMaximum(let value), .topicAlias(let value):
            return value != 0
        case .maximumPacketSize(let value):
            return value != 0
        case .maximumQoS(let qos):
            return qos != .exactlyOnce
        default:
            return true
        }
    }
}

/// The identifier byte of a property, with its wire type and where it may appear.
public struct MQTTPropertyIdentifier: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let payloadFormatIndicator = Self(rawValue: 0x01)
    public static let messageExpiryInterval = Self(rawValue: 0x02)
    public static let contentType = Self(rawValue: 0x03)
    public static let responseTopic = Self(rawValue: 0x08)
    public static let correlationData = Self(rawValue: 0x09)
    public static let subscriptionIdentifier = Self(rawValue: 0x0B)
    public static let sessionExpiryInterval = Self(rawValue: 0x11)
    public static let assignedClientIdentifier = Self(rawValue: 0x12)
    public static let serverKeepAlive = Self(rawValue: 0x13)
    public static let authenticationMethod = Self(rawValue: 0x15)
    public static let authenticationData = Self(rawValue: 0x16)
    public static let requestProblemInformation = Self(rawValue: 0x17)
    public static let willDelayInterval = Self(rawValue: 0x18)
    public static let requestResponseInformation = Self(rawValue: 0x19)
    public static let responseInformation = Self(rawValue: 0x1A)
    public static let serverReference = Self(rawValue: 0x1C)
    public static let reasonString = Self(rawValue: 0x1F)
    public static let receiveMaximum = Self(rawValue: 0x21)
    public static let topicAliasMaximum = Self(rawValue: 0x22)
    public static let topicAlias = Self(rawValue: 0x23)
    public static let maximumQoS = Self(rawValue: 0x24)
    public static let retainAvailable = Self(rawValue: 0x25)
    public static let userProperty = Self(rawValue: 0x26)
    public static let maximumPacketSize = Self(rawValue: 0x27)
    public static let wildcardSubscriptionAvailable = Self(rawValue: 0x28)
    public static let subscriptionIdentifierAvailable = Self(rawValue: 0x29)
    public static let sharedSubscriptionAvailable = Self(rawValue: 0x2A)

    /// Every identifier MQTT 5.0 defines.
    public static let allKnown: [MQTTPropertyIdentifier] = [
        .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData,
        .subscriptionIdentifier, .sessionExpiryInterval, .assignedClientIdentifier, .serverKeepAlive,
        .authenticationMethod, .authenticationData, .requestProblemInformation, .willDelayInterval,
        .requestResponseInformation, .responseInformation, .serverReference, .reasonString, .receiveMaximum,
        .topicAliasMaximum, .topicAlias, .maximumQoS, .retainAvailable, .userProperty, .maximumPacketSize,
        .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable, .sharedSubscriptionAvailable,
    ]

    /// The wire type of the value; `nil` for an identifier MQTT 5.0 does not define.
    public var wireType: MQTTPropertyWireType? {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS,
            .retainAvailable, .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable,
            .sharedSubscriptionAvailable:
            return .byte
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            return .twoByteInteger
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            return .fourByteInteger
        case .subscriptionIdentifier:
            return .variableByteInteger
        case .contentType, .responseTopic, .assignedClientIdentifier, .authenticationMethod,
            .responseInformation, .serverReference, .reasonString:
            return .utf8String
        case .correlationData, .authenticationData:
            return .binaryData
        case .userProperty:
            return .utf8StringPair
        default:
            return nil
        }
    }

    /// The packets (and the will) in which the property may appear; empty for an unknown identifier.
    public var allowedPlacements: MQTTPropertyPlacement {
        switch self {
        case .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData:
            return [.publish, .will]
        case .subscriptionIdentifier: return [.publish, .subscribe]
        case .sessionExpiryInterval: return [.connect, .connack, .disconnect]
        case .assignedClientIdentifier, .serverKeepAlive, .responseInformation, .maximumQoS, .retainAvailable,
            .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable, .sharedSubscriptionAvailable:
            return .connack
        case .authenticationMethod, .authenticationData: return [.connect, .connack, .auth]
        case .requestProblemInformation, .requestResponseInformation: return .connect
        case .willDelayInterval: return .will
        case .serverReference: return [.connack, .disconnect]
        case .reasonString:
            return [.connack, .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .disconnect, .auth]
        case .receiveMaximum, .topicAliasMaximum, .maximumPacketSize: return [.connect, .connack]
        case .topicAlias: return .publish
        case .userProperty: return .all
        default: return []
        }
    }

    /// User Property may repeat everywhere, Subscription Identifier in PUBLISH (one per matching
    /// subscription); every other property at most once.
    public func mayRepeat(in placement: MQTTPropertyPlacement) -> Bool {
        self == .userProperty || (self == .subscriptionIdentifier && placement == .publish)
    }

    public var description: String {
        let digits = String(rawValue, radix: 16, uppercase: true)
        return "0x" + (digits.count < 2 ? "0" + digits : digits)
    }
}

/// How a property value is laid out on the wire.
public enum MQTTPropertyWireType: Sendable, Hashable {
    case byte
    case twoByteInteger
    case fourByteInteger
    case variableByteInteger
    case utf8String
    case binaryData
    case utf8StringPair
}

/// Where a property list sits: one of the packets that carry properties, or the will inside CONNECT.
public struct MQTTPropertyPlacement: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let connect = Self(rawValue: 1 << 0)
    public static let connack = Self(rawValue: 1 << 1)
    public static let publish = Self(rawValue: 1 << 2)
    public static let will = Self(rawValue: 1 << 3)
    public static let puback = Self(rawValue: 1 << 4)
    public static let pubrec = Self(rawValue: 1 << 5)
    public static let pubrel = Self(rawValue: 1 << 6)
    public static let pubcomp = Self(rawValue: 1 << 7)
    public static let subscribe = Self(rawValue: 1 << 8)
    public static let suback = Self(rawValue: 1 << 9)
    public static let unsubscribe = Self(rawValue: 1 << 10)
    public static let unsuback = Self(rawValue: 1 << 11)
    public static let disconnect = Self(rawValue: 1 << 12)
    public static let auth = Self(rawValue: 1 << 13)
    public static let all = Self(rawValue: (1 << 14) - 1)

    /// The placement of a packet type's own property list (PINGREQ and PINGRESP have none).
    public init(_ packetType: MQTTPacketType) {
        switch packetType {
        case .connect: self = .connect
        case .connack: self = .connack
        case .publish: self = .publish
        case .puback: self = .puback
        case .pubrec: self = .pubrec
        case .pubrel: self = .pubrel
        case .pubcomp: self = .pubcomp
        case .subscribe: self = .subscribe
        case .suback: self = .suback
        case .unsubscribe: self = .unsubscribe
        case .unsuback: self = .unsuback
        case .disconnect: self = .disconnect
        case .auth: self = .auth
        case .pingreq, .pingresp: self = []
        }
    }

    public var description: String {
        let names: [(MQTTPropertyPlacement, String)] = [
            (.connect, "CONNECT"), (.connack, "CONNACK"), (.publish, "PUBLISH"), (.will, "Will"),
            (.puback, "PUBACK"), (.pubrec, "PUBREC"), (.pubrel, "PUBREL"), (.pubcomp, "PUBCOMP"),
            (.subscribe, "SUBSCRIBE"), (.suback, "SUBACK"), (.unsubscribe, "UNSUBSCRIBE"),
            (.unsuback, "UNSUBACK"), (.disconnect, "DISCONNECT"), (.auth, "AUTH"),
        ]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: "|")
    }
}
