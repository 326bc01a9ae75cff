import NIOCore

/// Every MQTT control packet, for both protocol versions.
public enum MQTTPacket: Sendable, Hashable {
    case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case puback(PublishAckPacket)
    case pubrec(PublishAckPacket)
    case pubrel(PublishAckPacket)
    case pubcomp(PublishAckPacket)
    case subscribe(SubscribePacket)
    case suback(SubAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsuback(UnsubAckPacket)
    case pingreq
    case pingresp
    case disconnect(DisconnectPacket)
    case auth(AuthPacket)

    public var type: MQTTPacketType {
        switch self {
        case .connect: return .connect
        case .connack: return .connack
        case .publish: return .publish
        case .puback: return .puback
        case .pubrec: return .pubrec
        case .pubrel: return .pubrel
        case .pubcomp: return .pubcomp
        case .subscribe: return .subscribe
        case .suback: return .suback
        case .unsubscribe: return .unsubscribe
        case .unsuback: return .unsuback
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        case .auth: return .auth
        }
    }
}

// MARK: - Decoding

extension MQTTPacket {
    /// Interprets a frame under the rules of `version`. A CONNECT is read under the protocol level it
    /// carries, whatever `version` says (see `protocolVersion(ofConnect:)`).
    public init(frame: MQTTFrame, version: MQTTProtocolVersion) throws(MQTTDecodeError) {
        var reader = WireReader(body: frame.body, packetType: frame.type)
        if let required = frame.type.requiredFlags, frame.flags != required {
            throw reader.fixedHeaderError(.reservedFlagsSet(frame.flags), flags: frame.flags)
        }
        if frame.flags > 0x0F {
            throw reader.fixedHeaderError(.reservedFlagsSet(frame.flags), flags: frame.flags)
        }
        switch frame.type {
        case .connect: self = .connect(try ConnectPacket(reader: &reader))
        case .connack: self = .connack(try ConnAckPacket(reader: &reader, version: version))
        case .publish: self = .publish(try PublishPacket(reader: &reader, flags: frame.flags, version: version))
        case .puback: self = .puback(try PublishAckPacket(reader: &reader, version: version))
        case .pubrec: self = .pubrec(try PublishAckPacket(reader: &reader, version: version))
        case .pubrel: self = .pubrel(try PublishAckPacket(reader: &reader, version: version))
        case .pubcomp: self = .pubcomp(try PublishAckPacket(reader: &reader, version: version))
        case .subscribe: self = .subscribe(try SubscribePacket(reader: &reader, version: version))
        case .suback: self = .suback(try SubAckPacket(reader: &reader, version: version))
        case .unsubscribe: self = .unsubscribe(try UnsubscribePacket(reader: &reader, version: version))
        case .unsuback: self = .unsuback(try UnsubAckPacket(reader: &reader, version: version))
        case .pingreq:
            try reader.expectEnd()
            self = .pingreq
        case .pingresp:
            try reader.expectEnd()
            self = .pingresp
        case .disconnect: self = .disconnect(try DisconnectPacket(reader: &reader, version: version))
        case .auth:
            guard version == .v5_0 else {
                throw reader.fixedHeaderError(.packetTypeNotInVersion(version), flags: frame.flags)
            }
            self = .auth(try AuthPacket(reader: &reader))
        }
    }

    /// Reads the next whole packet from `buffer`; `nil` (buffer untouched) while it is incomplete.
    public static func read(
        from buffer: inout ByteBuffer,
        version: MQTTProtocolVersion,
        maximumPacketSize: Int
    ) throws(MQTTDecodeError) -> MQTTPacket? {
        guard let frame = try MQTTFrame.read(from: &buffer, maximumPacketSize: maximumPacketSize) else { return nil }
        return try MQTTPacket(frame: frame, version: version)
    }

    /// The protocol version a CONNECT frame asks for, read from its protocol name and level, so a broker
    /// knows how to decode everything that follows on the connection.
    public static func protocolVersion(ofConnect frame: MQTTFrame) throws(MQTTDecodeError) -> MQTTProtocolVersion {
        var reader = WireReader(body: frame.body, packetType: .connect)
        return try ConnectPacket.readProtocolVersion(from: &reader)
    }
}

// MARK: - Encoding

extension MQTTPacket {
    /// Bytes after the fixed header's remaining length.
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        switch self {
        case .connect(let p): return p.remainingLength(version: version)
        case .connack(let p): return p.remainingLength(version: version)
        case .publish(let p): return p.remainingLength(version: version)
        case .puback(let p), .pubrec(let p), .pubrel(let p), .pubcomp(let p): return p.remainingLength(version: version)
        case .subscribe(let p): return p.remainingLength(version: version)
        case .suback(let p): return p.remainingLength(version: version)
        case .unsubscribe(let p): return p.remainingLength(version: version)
        case .unsuback(let p): return p.remainingLength(version: version)
        case .pingreq, .pingresp: return 0
        case .disconnect(let p): return p.remainingLength(version: version)
        case .auth(let p): return p.remainingLength()
        }
    }

    /// The exact number of bytes `write(to:version:)` produces, fixed header included, so callers
    /// reserve once and never grow the buffer.
    public func encodedSize(version: MQTTProtocolVersion) -> Int {
        let remaining = remainingLength(version: version)
        return 1 + VariableByteInteger.size(of: remaining) + remaining
    }

    private var fixedHeaderFlags: UInt8 {
        if case .publish(let p) = self { return p.fixedHeaderFlags }
        return type.requiredFlags ?? 0
    }

    /// Validates and writes the whole packet. On error nothing is left in `buffer`.
    public func write(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        let start = buffer.writerIndex
        do throws(MQTTEncodeError) {
            try writeUnchecked(to: &buffer, version: version)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    private func writeUnchecked(to buffer: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        guard type.exists(in: version) else {
            throw MQTTEncodeError(kind: .packetTypeNotInVersion(version), packetType: type)
        }
        let remaining = remainingLength(version: version)
        guard remaining <= Int(VariableByteInteger.maximum) else {
            throw MQTTEncodeError(kind: .packetTooLarge(remainingLength: remaining), packetType: type)
        }
        buffer.writeInteger(type.rawValue << 4 | fixedHeaderFlags)
        buffer.writeVariableByteInteger(remaining)
        switch self {
        case .connect(let p): try p.writeBody(to: &buffer, version: version)
        case .connack(let p): try p.writeBody(to: &buffer, version: version)
        case .publish(let p): try p.writeBody(to: &buffer, version: version)
        case .puback(let p), .pubrec(let p), .pubrel(let p), .pubcomp(let p):
            try p.writeBody(to: &buffer, version: version, type: type)
        case .subscribe(let p): try p.writeBody(to: &buffer, version: version)
        case .suback(let p): try p.writeBody(to: &buffer, version: version)
        case .unsubscribe(let p): try p.writeBody(to: &buffer, version: version)
        case .unsuback(let p): try p.writeBody(to: &buffer, version: version)
        case .pingreq, .pingresp: break
        case .disconnect(let p): try p.writeBody(to: &buffer, version: version)
        case .auth(let p): try p.writeBody(to: &buffer)
        }
    }
}
