import NIOCore

extension MQTTProperty {
    /// Bytes on the wire including the identifier byte.
    var wireSize: Int {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS,
            .retainAvailable, .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable,
            .sharedSubscriptionAvailable:
            return 2
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            return 3
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            return 5
        case .subscriptionIdentifier(let value):
            return 1 + VariableByteInteger.size(of: Int(value))
        case .contentType(let s), .responseTopic(let s), .assignedClientIdentifier(let s),
            .authenticationMethod(let s), .responseInformation(let s), .serverReference(let s),
            .reasonString(let s):
            return 1 + WireWriter.stringSize(s)
        case .correlationData(let data), .authenticationData(let data):
            return 1 + WireWriter.binarySize(data)
        case .userProperty(let name, let value):
            return 1 + WireWriter.stringSize(name) + WireWriter.stringSize(value)
        }
    }

    func write(to buffer: inout ByteBuffer, writer: WireWriter) throws(MQTTEncodeError) {
        buffer.writeInteger(identifier.rawValue)
        switch self {
        case .payloadFormatIndicator(let v), .requestProblemInformation(let v), .requestResponseInformation(let v):
            buffer.writeInteger(v)
        case .maximumQoS(let qos):
            buffer.writeInteger(qos.rawValue)
        case .retainAvailable(let flag), .wildcardSubscriptionAvailable(let flag),
            .subscriptionIdentifierAvailable(let flag), .sharedSubscriptionAvailable(let flag):
            buffer.writeInteger(UInt8(flag ? 1 : 0))
        case .serverKeepAlive(let v), .receiveMaximum(let v), .topicAliasMaximum(let v), .topicAlias(let v):
            buffer.writeInteger(v)
        case .messageExpiryInterval(let v), .sessionExpiryInterval(let v), .willDelayInterval(let v),
            .maximumPacketSize(let v):
            buffer.writeInteger(v)
        case .subscriptionIdentifier(let v):
            buffer.writeVariableByteInteger(Int(v))
        case .contentType(let s), .responseTopic(let s), .assignedClientIdentifier(let s),
            .authenticationMethod(let s), .responseInformation(let s), .serverReference(let s),
            .reasonString(let s):
            try writer.writeString(s, to: &buffer)
        case .correlationData(let data), .authenticationData(let data):
            try writer.writeBinary(data, to: &buffer)
        case .userProperty(let name, let value):
            try writer.writeString(name, to: &buffer)
            try writer.writeString(value, to: &buffer)
        }
    }

    /// Reads the value of a property whose identifier byte has been consumed.
    static func read(
        _ identifier: MQTTPropertyIdentifier,
        from reader: inout WireReader
    ) throws(MQTTDecodeError) -> MQTTProperty {
        let valueStart = reader.index
        func flag(_ byte: UInt8) throws(MQTTDecodeError) -> Bool {
            guard byte <= 1 else { throw reader.error(.invalidPropertyValue(id: identifier.rawValue), at: valueStart) }
            return byte == 1
        }
        let property: MQTTProperty
        switch identifier {
        case .payloadFormatIndicator: property = .payloadFormatIndicator(try reader.readByte())
        case .messageExpiryInterval: property = .messageExpiryInterval(try reader.readUInt32())
        case .contentType: property = .contentType(try reader.readString())
        case .responseTopic: property = .responseTopic(try reader.readString())
        case .correlationData: property = .correlationData(try reader.readBinary())
        case .subscriptionIdentifier: property = .subscriptionIdentifier(try reader.readVariableByteInteger())
        case .sessionExpiryInterval: property = .sessionExpiryInterval(try reader.readUInt32())
        case .assignedClientIdentifier: property = .assignedClientIdentifier(try reader.readString())
        case .serverKeepAlive: property = .serverKeepAlive(try reader.readUInt16())
        case .authenticationMethod: property = .authenticationMethod(try reader.readString())
        case .authenticationData: property = .authenticationData(try reader.readBinary())
        case .requestProblemInformation: property = .requestProblemInformation(try reader.readByte())
        case .willDelayInterval: property = .willDelayInterval(try reader.readUInt32())
        case .requestResponseInformation: property = .requestResponseInformation(try reader.readByte())
        case .responseInformation: property = .responseInformation(try reader.readString())
        case .serverReference: property = .serverReference(try reader.readString())
        case .reasonString: property = .reasonString(try reader.readString())
        case .receiveMaximum: property = .receiveMaximum(try reader.readUInt16())
        case .topicAliasMaximum: property = .topicAliasMaximum(try reader.readUInt16())
        case .topicAlias: property = .topicAlias(try reader.readUInt16())
        case .maximumQoS:
            let byte = try reader.readByte()
            guard let qos = QoS(rawValue: byte) else {
                throw reader.error(.invalidPropertyValue(id: identifier.rawValue), at: valueStart)
            }
            property = .maximumQoS(qos)
        case .retainAvailable: property = .retainAvailable(try flag(try reader.readByte()))
        case .userProperty: property = .userProperty(try reader.readString(), try reader.readString())
        case .maximumPacketSize: property = .maximumPacketSize(try reader.readUInt32())
        case .wildcardSubscriptionAvailable:
            property = .wildcardSubscriptionAvailable(try flag(try reader.readByte()))
        case .subscriptionIdentifierAvailable:
            property = .subscriptionIdentifierAvailable(try flag(try reader.readByte()))
        case .sharedSubscriptionAvailable:
            property = .sharedSubscriptionAvailable(try flag(try reader.readByte()))
        default:
            throw reader.error(.unknownProperty(id: identifier.rawValue), at: valueStart - 1)
        }
        guard property.hasValidValue else {
            throw reader.error(.invalidPropertyValue(id: identifier.rawValue), at: valueStart)
        }
        return property
    }
}

extension MQTTProperties {
    /// Bytes of the property list without its length prefix.
    var wireLength: Int {
        var total = 0
        for property in elements { total += property.wireSize }
        return total
    }

    /// Bytes of the property list with its length prefix.
    var wireSizeWithLength: Int {
        let length = wireLength
        return VariableByteInteger.size(of: length) + length
    }

    /// Writes length and properties, checking placement, repetition and values.
    func write(
        to buffer: inout ByteBuffer,
        placement: MQTTPropertyPlacement,
        writer: WireWriter
    ) throws(MQTTEncodeError) {
        let length = wireLength
        guard length <= Int(VariableByteInteger.maximum) else {
            throw writer.error(.packetTooLarge(remainingLength: length))
        }
        var seen = PropertySet()
        for property in elements {
            let identifier = property.identifier
            guard identifier.allowedPlacements.contains(placement) else {
                throw writer.error(.propertyNotAllowed(id: identifier.rawValue, packet: placement))
            }
            guard seen.insert(identifier) || identifier.mayRepeat(in: placement) else {
                throw writer.error(.duplicateProperty(id: identifier.rawValue))
            }
            guard property.hasValidValue else {
                throw writer.error(.invalidPropertyValue(id: identifier.rawValue))
            }
        }
        buffer.writeVariableByteInteger(length)
        for property in elements {
            try property.write(to: &buffer, writer: writer)
        }
    }

    /// Reads a length-prefixed property list, checking placement and repetition.
    static func read(
        from reader: inout WireReader,
        placement: MQTTPropertyPlacement
    ) throws(MQTTDecodeError) -> MQTTProperties {
        let length = Int(try reader.readVariableByteInteger())
        guard length > 0 else { return [] }
        let outer = try reader.narrow(to: length)
        var properties = MQTTProperties()
        var seen = PropertySet()
        while !reader.isAtEnd {
            let start = reader.index
            let identifier = MQTTPropertyIdentifier(rawValue: try reader.readByte())
            guard identifier.wireType != nil else {
                throw reader.error(.unknownProperty(id: identifier.rawValue), at: start)
            }
            guard identifier.allowedPlacements.contains(placement) else {
                throw reader.error(.propertyNotAllowed(id: identifier.rawValue, packet: placement), at: start)
            }
            guard seen.insert(identifier) || identifier.mayRepeat(in: placement) else {
                throw reader.error(.duplicateProperty(id: identifier.rawValue), at: start)
            }
            properties.append(try MQTTProperty.read(identifier, from: &reader))
        }
        reader.restoreLimit(outer)
        return properties
    }
}

/// Which property identifiers were seen (all defined identifiers are below 64).
struct PropertySet {
    private var bits: UInt64 = 0

    /// Returns whether the identifier was newly inserted.
    mutating func insert(_ identifier: MQTTPropertyIdentifier) -> Bool {
        let mask: UInt64 = 1 << UInt64(identifier.rawValue & 63)
        defer { bits |= mask }
        return bits & mask == 0
    }
}
