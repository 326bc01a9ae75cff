import NIOCore

/// CONNACK: the broker's answer to CONNECT. A 3.1.1 return code is carried as the MQTT 5 reason code of
/// the same meaning (see `ConnectReturnCode`), so callers handle one vocabulary.
public struct ConnAckPacket: Sendable, Hashable {
    public var sessionPresent: Bool
    public var reasonCode: ReasonCode
    public var properties: MQTTProperties

    public init(sessionPresent: Bool = false, reasonCode: ReasonCode = .success, properties: MQTTProperties = []) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }

    /// The code a 3.1.1 CONNACK carries for `reasonCode`.
    public var connectReturnCode: ConnectReturnCode { ConnectReturnCode(reasonCode) }
}

extension ConnAckPacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        version == .v5_0 ? 2 + properties.wireSizeWithLength : 2
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .connack)
        buffer.writeInteger(UInt8(sessionPresent ? 1 : 0))
        switch version {
        case .v3_1_1:
            guard properties.isEmpty else { throw writer.error(.propertiesNotInVersion) }
            buffer.writeInteger(connectReturnCode.rawValue)
        case .v5_0:
            buffer.writeInteger(reasonCode.rawValue)
            try properties.write(to: &buffer, placement: .connack, writer: writer)
        }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let flagsStart = reader.index
        let flags = try reader.readByte()
        guard flags & 0xFE == 0 else { throw reader.error(.reservedConnAckFlagsSet(flags), at: flagsStart) }
        let code = try reader.readByte()
        switch version {
        case .v3_1_1:
            try reader.expectEnd()
            self.init(sessionPresent: flags == 1, reasonCode: ConnectReturnCode(rawValue: code).reasonCode)
        case .v5_0:
            let properties = try MQTTProperties.read(from: &reader, placement: .connack)
            try reader.expectEnd()
            self.init(sessionPresent: flags == 1, reasonCode: ReasonCode(rawValue: code), properties: properties)
        }
    }
}
