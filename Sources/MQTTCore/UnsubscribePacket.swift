import NIOCore

/// UNSUBSCRIBE: one or more topic filters to drop.
public struct UnsubscribePacket: Sendable, Hashable {
    public var packetIdentifier: UInt16
    public var filters: [String]
    /// User Properties (5.0 only).
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, filters: [String], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.filters = filters
        self.properties = properties
    }
}

extension UnsubscribePacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        var length = 2
        if version == .v5_0 { length += properties.wireSizeWithLength }
        for filter in filters { length += WireWriter.stringSize(filter) }
        return length
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .unsubscribe)
        guard !filters.isEmpty else { throw writer.error(.emptySubscription) }
        if version == .v3_1_1 && !properties.isEmpty { throw writer.error(.propertiesNotInVersion) }
        try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
        if version == .v5_0 { try properties.write(to: &buffer, placement: .unsubscribe, writer: writer) }
        for filter in filters { try writer.writeTopicFilter(filter, to: &buffer) }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let packetIdentifier = try reader.readPacketIdentifier()
        let properties: MQTTProperties =
            version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .unsubscribe) : []
        guard !reader.isAtEnd else { throw reader.error(.emptySubscription) }
        var filters: [String] = []
        while !reader.isAtEnd { filters.append(try reader.readTopicFilter()) }
        self.init(packetIdentifier: packetIdentifier, filters: filters, properties: properties)
    }
}
