import NIOCore

/// SUBACK: one reason code per requested filter, in order (3.1.1 return codes 0, 1, 2 and 0x80 are the
/// same bytes as the 5.0 reason codes).
public struct SubAckPacket: Sendable, Hashable {
    public var packetIdentifier: UInt16
    public var reasonCodes: [ReasonCode]
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, reasonCodes: [ReasonCode], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

extension SubAckPacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        2 + reasonCodes.count + (version == .v5_0 ? properties.wireSizeWithLength : 0)
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .suback)
        guard !reasonCodes.isEmpty else { throw writer.error(.emptyAcknowledgement) }
        if version == .v3_1_1 && !properties.isEmpty { throw writer.error(.propertiesNotInVersion) }
        try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
        if version == .v5_0 { try properties.write(to: &buffer, placement: .suback, writer: writer) }
        for code in reasonCodes { buffer.writeInteger(code.rawValue) }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let packetIdentifier = try reader.readPacketIdentifier()
        let properties: MQTTProperties =
            version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .suback) : []
        guard !reader.isAtEnd else { throw reader.error(.emptyAcknowledgement) }
        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(reader.remaining)
        while !reader.isAtEnd { reasonCodes.append(ReasonCode(rawValue: try reader.readByte())) }
        self.init(packetIdentifier: packetIdentifier, reasonCodes: reasonCodes, properties: properties)
    }
}
