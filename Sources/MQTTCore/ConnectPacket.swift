import NIOCore

/// CONNECT: the first packet a client sends. Its protocol level decides the version of the connection.
public struct ConnectPacket: Sendable, Hashable {
    public var clientIdentifier: String
    /// "Clean Session" in 3.1.1.
    public var cleanStart: Bool
    public var keepAliveSeconds: UInt16
    public var username: String?
    public var password: ByteBuffer?
    public var will: Will?
    public var properties: MQTTProperties

    public init(
        clientIdentifier: String,
        cleanStart: Bool = true,
        keepAliveSeconds: UInt16 = 60,
        username: String? = nil,
        password: ByteBuffer? = nil,
        will: Will? = nil,
        properties: MQTTProperties = []
    ) {
        self.clientIdentifier = clientIdentifier
        self.cleanStart = cleanStart
        self.keepAliveSeconds = keepAliveSeconds
        self.username = username
        self.password = password
        self.will = will
        self.properties = properties
    }
}

/// The Last Will a broker publishes when the connection ends without a normal DISCONNECT.
public struct Will: Sendable, Hashable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    /// Will Delay Interval, Message Expiry Interval, Content Type, Response Topic, Correlation Data,
    /// Payload Format Indicator and User Properties (MQTT 5.0 only).
    public var properties: MQTTProperties

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        properties: MQTTProperties = []
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

extension ConnectPacket {
    private static let protocolName: [UInt8] = Array("MQTT".utf8)

    private enum Flag {
        static let reserved: UInt8 = 0x01
        static let cleanStart: UInt8 = 0x02
        static let will: UInt8 = 0x04
        static let willQoSShift: UInt8 = 3
        static let willRetain: UInt8 = 0x20
        static let password: UInt8 = 0x40
        static let username: UInt8 = 0x80
    }

    func remainingLength(version: MQTTProtocolVersion) -> Int {
        var length = 2 + Self.protocolName.count + 1 + 1 + 2
        if version == .v5_0 { length += properties.wireSizeWithLength }
        length += WireWriter.stringSize(clientIdentifier)
        if let will {
            if version == .v5_0 { length += will.properties.wireSizeWithLength }
            length += WireWriter.stringSize(will.topic) + WireWriter.binarySize(will.payload)
        }
        if let username { length += WireWriter.stringSize(username) }
        if let password { length += WireWriter.binarySize(password) }
        return length
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .connect)
        if version == .v3_1_1 {
            guard properties.isEmpty, will?.properties.isEmpty ?? true else {
                throw writer.error(.propertiesNotInVersion)
            }
            guard password == nil || username != nil else { throw writer.error(.passwordWithoutUsername) }
        }
        var flags: UInt8 = 0
        if cleanStart { flags |= Flag.cleanStart }
        if let will {
            flags |= Flag.will | (will.qos.rawValue << Flag.willQoSShift)
            if will.retain { flags |= Flag.willRetain }
        }
        if username != nil { flags |= Flag.username }
        if password != nil { flags |= Flag.password }

        buffer.writeInteger(UInt16(Self.protocolName.count))
        buffer.writeBytes(Self.protocolName)
        buffer.writeInteger(version.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(keepAliveSeconds)
        if version == .v5_0 { try properties.write(to: &buffer, placement: .connect, writer: writer) }
        try writer.writeString(clientIdentifier, to: &buffer)
        if let will {
            if version == .v5_0 { try will.properties.write(to: &buffer, placement: .will, writer: writer) }
            try writer.writeTopicName(will.topic, to: &buffer)
            try writer.writeBinary(will.payload, to: &buffer)
        }
        if let username { try writer.writeString(username, to: &buffer) }
        if let password { try writer.writeBinary(password, to: &buffer) }
    }

    /// Reads the protocol name and level that start every CONNECT.
    static func readProtocolVersion(from reader: inout WireReader) throws(MQTTDecodeError) -> MQTTProtocolVersion {
        let nameStart = reader.index
        let nameLength = try reader.readUInt16()
        guard nameLength == protocolName.count else { throw reader.error(.invalidProtocolName, at: nameStart) }
        for expected in protocolName {
            guard try reader.readByte() == expected else { throw reader.error(.invalidProtocolName, at: nameStart) }
        }
        let levelStart = reader.index
        let level = try reader.readByte()
        guard let version = MQTTProtocolVersion(rawValue: level) else {
            throw reader.error(.invalidProtocolLevel(level), at: levelStart)
        }
        return version
    }

    init(reader: inout WireReader) throws(MQTTDecodeError) {
        let version = try Self.readProtocolVersion(from: &reader)
        let flagsStart = reader.index
        let flags = try reader.readByte()
        guard flags & Flag.reserved == 0 else { throw reader.error(.reservedConnectFlagSet, at: flagsStart) }
        let hasWill = flags & Flag.will != 0
        let willQoSBits = (flags >> Flag.willQoSShift) & 0x03
        let willRetain = flags & Flag.willRetain != 0
        guard hasWill || (willQoSBits == 0 && !willRetain) else {
            throw reader.error(.inconsistentWillFlags, at: flagsStart)
        }
        guard let willQoS = QoS(rawValue: willQoSBits) else {
            throw reader.error(.invalidQoS(willQoSBits), at: flagsStart)
        }
        let hasUsername = flags & Flag.username != 0
        let hasPassword = flags & Flag.password != 0
        guard version == .v5_0 || hasUsername || !hasPassword else {
            throw reader.error(.passwordWithoutUsername, at: flagsStart)
        }
        let keepAlive = try reader.readUInt16()
        let properties: MQTTProperties =
            version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .connect) : []
        let clientIdentifier = try reader.readString()
        var will: Will?
        if hasWill {
            let willProperties: MQTTProperties =
                version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .will) : []
            let topicStart = reader.index
            let topic = try reader.readString()
            do throws(MQTTTopicError) {
                try TopicRules.validateTopicName(topic)
            } catch {
                throw reader.error(.invalidTopicName(error), at: topicStart)
            }
            let payload = try reader.readBinary()
            will = Will(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        let username = hasUsername ? try reader.readString() : nil
        let password = hasPassword ? try reader.readBinary() : nil
        try reader.expectEnd()
        self.init(
            clientIdentifier: clientIdentifier,
            cleanStart: flags & Flag.cleanStart != 0,
            keepAliveSeconds: keepAlive,
            username: username,
            password: password,
            will: will,
            properties: properties
        )
    }
}
