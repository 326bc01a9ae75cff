import NIOCore

/// UNSUBACK: in 5.0 one reason code per filter; in 3.1.1 only the packet identifier (`reasonCodes` is
/// empty when decoded, and may only hold successes when encoded).
public struct UnsubAckPacket: Sendable, Hashable {
    public var packetIdentifier: UInt16
    public var reasonCodes: [ReasonCode]
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, reasonCodes: [ReasonCode] = [], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

extension UnsubAckPacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        version == .v5_0 ? 2 + properties.wireSizeWithLength + reasonCodes.count : 2
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .unsuback)
        switch version {
        case .v3_1_1:
            guard properties.isEmpty else { throw writer.error(.propertiesNotInVersion) }
            for code in reasonCodes where code != .success { throw writer.error(.reasonCodeNotInVersion(code)) }
            try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
        case .v5_0:
            guard !reasonCodes.isEmpty else { throw writer.error(.emptyAcknowledgement) }
            try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
            try properties.write(to: &buffer, placement: .unsuback, writer: writer)
            for code in reasonCodes { buffer.writeInteger(code.rawValue) }
        }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let packetIdentifier = try reader.readPacketIdentifier()
        guard version == .v5_0 else {
            try reader.expectEnd()
            self.init(packetIdentifier: packetIdentifier)
            return
        }
        let properties = try MQTTProperties.read(from: &reader, placement: .unsuback)
        guard !reader.isAtEnd else { throw reader.error(.emptyAcknowledgement) }
        var reasonCodes: [ReasonCode] = []
        reasonCodes.reserveCapacity(reader.remaining)
        while !reader.isAtEnd { reasonCodes.append(ReasonCode(rawValue: try reader.readByte())) }
        self.init(packetIdentifier: packetIdentifier, reasonCodes: reasonCodes, properties: properties)
    }
}
