import NIOCore

/// DISCONNECT and AUTH share a body: an optional reason code, then optional properties, both omitted
/// when they carry defaults.
enum ReasonAndProperties {
    static func remainingLength(reasonCode: ReasonCode, properties: MQTTProperties) -> Int {
        if !properties.isEmpty { return 1 + properties.wireSizeWithLength }
        return reasonCode == .success ? 0 : 1
    }

    static func write(
        reasonCode: ReasonCode,
        properties: MQTTProperties,
        to buffer: inout ByteBuffer,
        writer: WireWriter
    ) throws(MQTTEncodeError) {
        guard reasonCode != .success || !properties.isEmpty else { return }
        buffer.writeInteger(reasonCode.rawValue)
        if !properties.isEmpty {
            try properties.write(to: &buffer, placement: MQTTPropertyPlacement(writer.packetType), writer: writer)
        }
    }

    static func read(from reader: inout WireReader) throws(MQTTDecodeError) -> (ReasonCode, MQTTProperties) {
        guard !reader.isAtEnd else { return (.success, []) }
        let reasonCode = ReasonCode(rawValue: try reader.readByte())
        let properties: MQTTProperties =
            reader.isAtEnd ? [] : try MQTTProperties.read(from: &reader, placement: MQTTPropertyPlacement(reader.packetType))
        try reader.expectEnd()
        return (reasonCode, properties)
    }
}
