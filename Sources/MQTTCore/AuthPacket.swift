import NIOCore

/// AUTH: extended authentication exchange (5.0 only).
public struct AuthPacket: Sendable, Hashable {
    public var reasonCode: ReasonCode
    public var properties: MQTTProperties

    public init(reasonCode: ReasonCode = .success, properties: MQTTProperties = []) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension AuthPacket {
    func remainingLength() -> Int {
        ReasonAndProperties.remainingLength(reasonCode: reasonCode, properties: properties)
    }

    func writeBody(to buffer: inout ByteBuffer) throws(MQTTEncodeError) {
        try ReasonAndProperties.write(
            reasonCode: reasonCode, properties: properties, to: &buffer, writer: WireWriter(packetType: .auth))
    }

    init(reader: inout WireReader) throws(MQTTDecodeError) {
        let (reasonCode, properties) = try ReasonAndProperties.read(from: &reader)
        self.init(reasonCode: reasonCode, properties: properties)
    }
}
