import NIOCore

/// PUBLISH: an application message. The payload is a slice of the received buffer (no copy).
public struct PublishPacket: Sendable, Hashable {
    /// May be empty in MQTT 5.0 when a Topic Alias property names the topic.
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    public var dup: Bool
    /// Required (non-zero) for QoS 1 and 2, absent for QoS 0.
    public var packetIdentifier: UInt16?
    public var properties: MQTTProperties

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        dup: Bool = false,
        packetIdentifier: UInt16? = nil,
        properties: MQTTProperties = []
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetIdentifier = packetIdentifier
        self.properties = properties
    }
}

extension PublishPacket {
    private enum Flag {
        static let retain: UInt8 = 0x01
        static let qosShift: UInt8 = 1
        static let dup: UInt8 = 0x08
    }

    var fixedHeaderFlags: UInt8 {
        (dup ? Flag.dup : 0) | (qos.rawValue << Flag.qosShift) | (retain ? Flag.retain : 0)
    }

    func remainingLength(version: MQTTProtocolVersion) -> Int {
        var length = WireWriter.stringSize(topic) + payload.readableBytes
        if qos != .atMostOnce { length += 2 }
        if version == .v5_0 { length += properties.wireSizeWithLength }
        return length
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .publish)
        if version == .v3_1_1 && !properties.isEmpty { throw writer.error(.propertiesNotInVersion) }
        if qos == .atMostOnce {
            guard packetIdentifier == nil else { throw writer.error(.unexpectedPacketIdentifier) }
            guard !dup else { throw writer.error(.dupFlagOnQoS0) }
        }
        if topic.isEmpty {
            guard version == .v5_0 else { throw writer.error(.invalidTopicName(.empty)) }
            guard properties.topicAlias != nil else { throw writer.error(.emptyTopicWithoutAlias) }
            buffer.writeInteger(UInt16(0))
        } else {
            try writer.writeTopicName(topic, to: &buffer)
        }
        if qos != .atMostOnce { try writer.writePacketIdentifier(packetIdentifier, to: &buffer) }
        if version == .v5_0 { try properties.write(to: &buffer, placement: .publish, writer: writer) }
        buffer.writeImmutableBuffer(payload)
    }

    init(reader: inout WireReader, flags: UInt8, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let qosBits = (flags >> Flag.qosShift) & 0x03
        guard let qos = QoS(rawValue: qosBits) else { throw reader.fixedHeaderError(.invalidQoS(qosBits), flags: flags) }
        let dup = flags & Flag.dup != 0
        guard !(dup && qos == .atMostOnce) else { throw reader.fixedHeaderError(.dupFlagOnQoS0, flags: flags) }
        let topicStart = reader.index
        let topic = try reader.readString()
        if !topic.isEmpty {
            do throws(MQTTTopicError) {
                try TopicRules.validateTopicName(topic)
            } catch {
                throw reader.error(.invalidTopicName(error), at: topicStart)
            }
        }
        let packetIdentifier: UInt16? = qos == .atMostOnce ? nil : try reader.readPacketIdentifier()
        let properties: MQTTProperties =
            version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .publish) : []
        if topic.isEmpty && (version == .v3_1_1 || properties.topicAlias == nil) {
            throw reader.error(version == .v5_0 ? .emptyTopicWithoutAlias : .invalidTopicName(.empty), at: topicStart)
        }
        self.init(
            topic: topic,
            payload: reader.readRest(),
            qos: qos,
            retain: flags & Flag.retain != 0,
            dup: dup,
            packetIdentifier: packetIdentifier,
            properties: properties
        )
    }
}
