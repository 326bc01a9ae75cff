import NIOCore

/// One packet cut out of the byte stream: type, flag nibble and body, before any interpretation. Framing
/// is separate from decoding so that oversized or unknown packets are refused before their body arrives.
public struct MQTTFrame: Sendable, Hashable {
    public var type: MQTTPacketType
    /// The low nibble of the first byte.
    public var flags: UInt8
    /// Everything after the remaining length (a slice of the received buffer).
    public var body: ByteBuffer

    public init(type: MQTTPacketType, flags: UInt8, body: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.body = body
    }

    /// Cuts the next frame out of `buffer`.
    ///
    /// Returns `nil` and leaves `buffer` untouched while the frame is incomplete. Throws as soon as the
    /// header shows an unknown packet type, a remaining length longer than 4 bytes or not minimally
    /// encoded, or a packet (fixed header included) larger than `maximumPacketSize`.
    public static func read(from buffer: inout ByteBuffer, maximumPacketSize: Int) throws(MQTTDecodeError) -> MQTTFrame? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        func failure(_ kind: MQTTDecodeError.Kind, type: MQTTPacketType?, offset: Int) -> MQTTDecodeError {
            let length = min(MQTTDecodeError.maximumReportedBytes, buffer.readableBytes)
            return MQTTDecodeError(
                kind: kind, packetType: type, offset: offset, bytes: buffer.getBytes(at: start, length: length) ?? [])
        }
        guard let type = MQTTPacketType(rawValue: first >> 4) else {
            throw failure(.unknownPacketType(first >> 4), type: nil, offset: 0)
        }
        switch VariableByteInteger.decode(from: buffer, at: start + 1, limit: buffer.writerIndex) {
        case .incomplete:
            return nil
        case .tooLong:
            throw failure(.variableByteIntegerTooLong, type: type, offset: 1)
        case .notMinimal:
            throw failure(.variableByteIntegerNotMinimal, type: type, offset: 1)
        case .value(let remainingLength, let lengthBytes):
            let size = 1 + lengthBytes + Int(remainingLength)
            guard size <= maximumPacketSize else {
                throw failure(.packetTooLarge(size: size, maximum: maximumPacketSize), type: type, offset: 0)
            }
            guard buffer.readableBytes >= size else { return nil }
            buffer.moveReaderIndex(forwardBy: 1 + lengthBytes)
            let body = buffer.readSlice(length: Int(remainingLength))!
            return MQTTFrame(type: type, flags: first & 0x0F, body: body)
        }
    }

    /// Bytes the frame takes on the wire.
    public var encodedSize: Int {
        1 + VariableByteInteger.size(of: body.readableBytes) + body.readableBytes
    }

    /// Writes the frame back out unchanged (a relay or a fault injector forwarding what it read).
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(type.rawValue << 4 | (flags & 0x0F))
        buffer.writeVariableByteInteger(body.readableBytes)
        buffer.writeImmutableBuffer(body)
    }
}
