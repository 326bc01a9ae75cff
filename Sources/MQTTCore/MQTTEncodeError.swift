/// Why a packet cannot be put on the wire as given. Encoding never writes a packet the decoder on the
/// other side would have to reject; deliberate violations go through `RawPacket`.
public struct MQTTEncodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A UTF-8 string longer than 65535 bytes.
        case stringTooLong(bytes: Int)
        /// U+0000 in a string.
        case disallowedCodePoint
        /// Binary data longer than 65535 bytes.
        case binaryDataTooLong(bytes: Int)
        /// More than 268,435,455 bytes after the fixed header.
        case packetTooLarge(remainingLength: Int)
        case propertyNotAllowed(id: UInt8, packet: MQTTPropertyPlacement)
        case duplicateProperty(id: UInt8)
        case invalidPropertyValue(id: UInt8)
        /// Properties on a 3.1.1 packet.
        case propertiesNotInVersion
        /// A reason code other than success on a 3.1.1 packet that cannot carry one.
        case reasonCodeNotInVersion(ReasonCode)
        /// AUTH on a 3.1.1 connection.
        case packetTypeNotInVersion(MQTTProtocolVersion)
        /// No Packet Identifier (or 0) where QoS or the packet type needs one.
        case missingPacketIdentifier
        /// A Packet Identifier on a QoS 0 PUBLISH.
        case unexpectedPacketIdentifier
        case dupFlagOnQoS0
        case invalidTopicName(MQTTTopicError)
        case invalidTopicFilter(MQTTTopicError)
        /// A 5.0 PUBLISH with an empty topic name and no Topic Alias (or any empty topic in 3.1.1).
        case emptyTopicWithoutAlias
        case emptySubscription
        case emptyAcknowledgement
        /// No Local, Retain As Published or a Retain Handling other than 0 in 3.1.1.
        case subscriptionOptionNotInVersion
        /// 3.1.1 forbids a password without a user name.
        case passwordWithoutUsername
    }

    public var kind: Kind
    public var packetType: MQTTPacketType

    public init(kind: Kind, packetType: MQTTPacketType) {
        self.kind = kind
        self.packetType = packetType
    }

    public var description: String { "cannot encode \(packetType): \(kind)" }
}
