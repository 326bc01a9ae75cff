import NIOCore

/// SUBSCRIBE: one or more topic filters with their options.
public struct SubscribePacket: Sendable, Hashable {
    public var packetIdentifier: UInt16
    public var subscriptions: [Subscription]
    /// Subscription Identifier and User Properties (5.0 only).
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, subscriptions: [Subscription], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

/// One topic filter of a SUBSCRIBE with its options (No Local, Retain As Published and Retain Handling
/// exist only in 5.0).
public struct Subscription: Sendable, Hashable {
    /// When the broker sends retained messages for a new subscription (5.0).
    public enum RetainHandling: UInt8, Sendable, Hashable, CaseIterable {
        case sendOnSubscribe = 0
        case sendOnSubscribeIfNew = 1
        case doNotSend = 2
    }

    public var filter: String
    /// The maximum QoS requested.
    public var qos: QoS
    public var noLocal: Bool
    public var retainAsPublished: Bool
    public var retainHandling: RetainHandling

    public init(
        filter: String,
        qos: QoS = .atMostOnce,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendOnSubscribe
    ) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

extension Subscription {
    private enum Option {
        static let qosMask: UInt8 = 0x03
        static let noLocal: UInt8 = 0x04
        static let retainAsPublished: UInt8 = 0x08
        static let retainHandlingShift: UInt8 = 4
        static let reservedV5: UInt8 = 0xC0
        static let reservedV311: UInt8 = 0xFC
    }

    var optionsByte: UInt8 {
        qos.rawValue | (noLocal ? Option.noLocal : 0) | (retainAsPublished ? Option.retainAsPublished : 0)
            | (retainHandling.rawValue << Option.retainHandlingShift)
    }

    init(filter: String, options: UInt8, reader: WireReader, at offset: Int, version: MQTTProtocolVersion)
        throws(MQTTDecodeError)
    {
        let reserved = version == .v5_0 ? Option.reservedV5 : Option.reservedV311
        guard options & reserved == 0 else { throw reader.error(.subscriptionOptionsReserved(options), at: offset) }
        guard let qos = QoS(rawValue: options & Option.qosMask) else {
            throw reader.error(.invalidQoS(options & Option.qosMask), at: offset)
        }
        guard let retainHandling = RetainHandling(rawValue: (options >> Option.retainHandlingShift) & 0x03) else {
            throw reader.error(.invalidRetainHandling, at: offset)
        }
        self.init(
            filter: filter,
            qos: qos,
            noLocal: options & Option.noLocal != 0,
            retainAsPublished: options & Option.retainAsPublished != 0,
            retainHandling: retainHandling
        )
    }
}

extension SubscribePacket {
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        var length = 2
        if version == .v5_0 { length += properties.wireSizeWithLength }
        for subscription in subscriptions { length += WireWriter.stringSize(subscription.filter) + 1 }
        return length
    }

    func writeBody(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let writer = WireWriter(packetType: .subscribe)
        guard !subscriptions.isEmpty else { throw writer.error(.emptySubscription) }
        if version == .v3_1_1 {
            guard properties.isEmpty else { throw writer.error(.propertiesNotInVersion) }
            for subscription in subscriptions where subscription.optionsByte > QoS.exactlyOnce.rawValue {
                throw writer.error(.subscriptionOptionNotInVersion)
            }
        }
        try writer.writePacketIdentifier(packetIdentifier, to: &buffer)
        if version == .v5_0 { try properties.write(to: &buffer, placement: .subscribe, writer: writer) }
        for subscription in subscriptions {
            try writer.writeTopicFilter(subscription.filter, to: &buffer)
            buffer.writeInteger(subscription.optionsByte)
        }
    }

    init(reader: inout WireReader, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        let packetIdentifier = try reader.readPacketIdentifier()
        let properties: MQTTProperties =
            version == .v5_0 ? try MQTTProperties.read(from: &reader, placement: .subscribe) : []
        guard !reader.isAtEnd else { throw reader.error(.emptySubscription) }
        var subscriptions: [Subscription] = []
        while !reader.isAtEnd {
            let filter = try reader.readTopicFilter()
            let optionsStart = reader.index
            let options = try reader.readByte()
            subscriptions.append(
                try Subscription(filter: filter, options: options, reader: reader, at: optionsStart, version: version)
            )
        }
        self.init(packetIdentifier: packetIdentifier, subscriptions: subscriptions, properties: properties)
    }
}
