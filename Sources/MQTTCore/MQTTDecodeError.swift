/// A rule the received bytes broke, with where it happened and the bytes themselves, so a hostile or
/// buggy peer is reported exactly rather than as "malformed packet".
public struct MQTTDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The packet ended before a field it announced.
        case truncated
        /// A variable byte integer with a continuation bit on its fourth byte.
        case variableByteIntegerTooLong
        /// A variable byte integer using more bytes than its value needs.
        case variableByteIntegerNotMinimal
        case malformedUTF8
        /// U+0000, which MQTT forbids in every string.
        case disallowedCodePoint(UInt32)
        case propertyNotAllowed(id: UInt8, packet: MQTTPropertyPlacement)
        case duplicateProperty(id: UInt8)
        case unknownProperty(id: UInt8)
        /// A property value the specification forbids (e.g. Receive Maximum 0, Maximum QoS 2).
        case invalidPropertyValue(id: UInt8)
        /// Fixed-header flag bits other than the ones the packet type requires.
        case reservedFlagsSet(UInt8)
        case invalidQoS(UInt8)
        /// A whole packet (fixed header included) larger than the allowed maximum.
        case packetTooLarge(size: Int, maximum: Int)
        case unknownPacketType(UInt8)
        /// AUTH in a 3.1.1 connection.
        case packetTypeNotInVersion(MQTTProtocolVersion)
        case invalidProtocolName
        case invalidProtocolLevel(UInt8)
        /// CONNECT flags bit 0 set.
        case reservedConnectFlagSet
        /// Will QoS or Will Retain set without the Will Flag.
        case inconsistentWillFlags
        /// 3.1.1 CONNECT with the password flag but no user name flag.
        case passwordWithoutUsername
        /// CONNACK acknowledge flags bits 7–1 set.
        case reservedConnAckFlagsSet(UInt8)
        /// Packet identifier 0 where one is required.
        case missingPacketIdentifier
        /// DUP set on a QoS 0 PUBLISH.
        case dupFlagOnQoS0
        /// SUBSCRIBE or UNSUBSCRIBE without any topic filter.
        case emptySubscription
        /// SUBACK (or 5.0 UNSUBACK) without any reason code.
        case emptyAcknowledgement
        /// Subscription options with reserved bits set (bits 7–6 in 5.0, 7–2 in 3.1.1).
        case subscriptionOptionsReserved(UInt8)
        /// Retain Handling 3.
        case invalidRetainHandling
        /// Bytes left after the last field of a packet.
        case trailingBytes(count: Int)
        case invalidTopicName(MQTTTopicError)
        case invalidTopicFilter(MQTTTopicError)
        /// A 5.0 PUBLISH with an empty topic name and no Topic Alias.
        case emptyTopicWithoutAlias
    }

    public var kind: Kind
    /// The packet being decoded, when its type was known.
    public var packetType: MQTTPacketType?
    /// Offset of the offending field from the packet's first byte.
    public var offset: Int
    /// Up to 32 bytes starting at `offset`.
    public var bytes: [UInt8]

    public init(kind: Kind, packetType: MQTTPacketType?, offset: Int, bytes: [UInt8]) {
        self.kind = kind
        self.packetType = packetType
        self.offset = offset
        self.bytes = bytes
    }

    /// The maximum number of offending bytes kept in an error.
    public static let maximumReportedBytes = 32

    public var description: String {
        let hex = bytes.map { byte -> String in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count < 2 ? "0" + digits : digits
        }.joined(separator: " ")
        let packet = packetType.map { "\($0)" } ?? "packet"
        return "\(packet) malformed at offset \(offset): \(kind) [\(hex)]"
    }
}

extension MQTTDecodeError.Kind: CustomStringConvertible {
    public var description: String {
        switch self {
        case .truncated: return "truncated"
        case .variableByteIntegerTooLong: return "variable byte integer longer than 4 bytes"
        case .variableByteIntegerNotMinimal: return "variable byte integer not minimally encoded"
        case .malformedUTF8: return "malformed UTF-8"
        case .disallowedCodePoint(let scalar): return "disallowed code point U+\(String(scalar, radix: 16))"
        case .propertyNotAllowed(let id, let packet): return "property \(id) not allowed in \(packet)"
        case .duplicateProperty(let id): return "property \(id) appears more than once"
        case .unknownProperty(let id): return "unknown property \(id)"
        case .invalidPropertyValue(let id): return "invalid value for property \(id)"
        case .reservedFlagsSet(let flags): return "reserved fixed-header flags \(flags)"
        case .invalidQoS(let qos): return "invalid QoS \(qos)"
        case .packetTooLarge(let size, let maximum): return "packet of \(size) bytes exceeds maximum \(maximum)"
        case .unknownPacketType(let type): return "unknown packet type \(type)"
        case .packetTypeNotInVersion(let version): return "packet type does not exist in MQTT \(version)"
        case .invalidProtocolName: return "protocol name is not MQTT"
        case .invalidProtocolLevel(let level): return "unsupported protocol level \(level)"
        case .reservedConnectFlagSet: return "CONNECT reserved flag set"
        case .inconsistentWillFlags: return "will QoS or retain set without will flag"
        case .passwordWithoutUsername: return "password without user name (3.1.1)"
        case .reservedConnAckFlagsSet(let flags): return "CONNACK reserved flags \(flags)"
        case .missingPacketIdentifier: return "packet identifier 0"
        case .dupFlagOnQoS0: return "DUP set on QoS 0 PUBLISH"
        case .emptySubscription: return "no topic filter"
        case .emptyAcknowledgement: return "no reason code"
        case .subscriptionOptionsReserved(let options): return "subscription options reserved bits \(options)"
        case .invalidRetainHandling: return "retain handling 3"
        case .trailingBytes(let count): return "\(count) trailing bytes"
        case .invalidTopicName(let error): return "invalid topic name: \(error)"
        case .invalidTopicFilter(let error): return "invalid topic filter: \(error)"
        case .emptyTopicWithoutAlias: return "empty topic name without topic alias"
        }
    }
}
