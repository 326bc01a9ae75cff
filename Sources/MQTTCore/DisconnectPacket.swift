import NIOCore

/// DISCONNECT: the graceful end of a connection. In 3.1.1 it has no body, so only
/// `normalDisconnection` without properties can be sent.
public struct DisconnectPacket: Sendable, Hashable {
    public var reasonCode: ReasonCode
    public var properties: MQTTProperties

    public init(reasonCode: ReasonCode = .normalDisconnection, properties: MQTTProperties = []) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension DisconnectPacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        version == .v5_0 ? ReasonAndProperties.remainingLength(reasonCode: reasonCode, properties: properties) : 0
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .disconnect)
        switch version {
        case .v3_1_1:
            guard properties.isEmpty else { throw writer.error(.propertiesNotInVersion) }
            guard reasonCode == .normalDisconnection else { throw writer.error(.reasonCodeNotInVersion(reasonCode)) }
        case .v5_0:
            try ReasonAndProperties.write(reasonCode: reasonCode, properties: properties, to: &buffer, writer: writer)
        }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        guard version == .v5_0 else {
            try reader.expectEnd()
            self.init()
            return
        }
        let (reasonCode, properties) = try ReasonAndProperties.read(from: &reader)
        self.init(reasonCode: reasonCode, properties: properties)
    }
}
