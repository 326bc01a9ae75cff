import NIOCore

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout: a packet identifier and, in 5.0, an optional
/// reason code and properties.
public struct PublishAckPacket: Sendable, Hashable {
    public var packetIdentifier: UInt16
    public var reasonCode: ReasonCode
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, reasonCode: ReasonCode = .success, properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension PublishAckPacket {
    /// 5.0 drops trailing fields that carry defaults: no properties → no property length, and
    /// success without properties → no reason code either.
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        guard version == .v5_0 else { return 2 }
        if !properties.isEmpty { return 3 + properties.wireSizeWithLength }
        return reasonCode == .success ? 2 : 3
    }

    func writeBody(
        to buffer: inout ByteBuffer,
        version: MQTTProtocolVersion,
        type: MQTTPacketType
    ) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: type)
        if version == .v3_1_1 {
            guard properties.isEmpty else { throw writer.error(.propertiesNotInVersion) }
            guard reasonCode == .success else { throw writer.error(.reasonCodeNotInVersion(reasonCode)) }
        }
        try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
        guard version == .v5_0, reasonCode != .success || !properties.isEmpty else { return }
        buffer.writeInteger(reasonCode.rawValue)
        if !properties.isEmpty {
            try properties.write(to: &buffer, placement: MQTTPropertyPlacement(type), writer: writer)
        }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let packetIdentifier = try reader.readPacketIdentifier()
        var reasonCode = ReasonCode.success
        var properties = MQTTProperties()
        if version == .v5_0 && !reader.isAtEnd {
            reasonCode = ReasonCode(rawValue: try reader.readByte())
            if !reader.isAtEnd {
                properties = try MQTTProperties.read(from: &reader, placement: MQTTPropertyPlacement(reader.packetType))
            }
        }
        try reader.expectEnd()
        self.init(packetIdentifier: packetIdentifier, reasonCode: reasonCode, properties: properties)
    }
}
