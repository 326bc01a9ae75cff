import NIOCore

/// Bytes shaped like a packet but written exactly as given: a first byte with any type and flags, any
/// body, and a remaining length that may lie or be encoded in too many bytes. This is how a fault
/// injector sends deliberate protocol violations; nothing on this path validates, by design.
public struct RawPacket: Sendable, Hashable {
    /// How the remaining length is written.
    public enum RemainingLength: Sendable, Hashable {
        /// The body's true length, minimally encoded.
        case actual
        /// This value, encoded as a variable byte integer (values above 268,435,455 take 5 bytes).
        case value(UInt32)
        /// These bytes verbatim, e.g. an overlong `[0x80, 0x80, 0x80, 0x80, 0x00]`.
        case bytes([UInt8])
    }

    /// Packet type in the high nibble, flags in the low nibble.
    public var firstByte: UInt8
    public var body: ByteBuffer
    public var remainingLength: RemainingLength

    public init(firstByte: UInt8, body: ByteBuffer, remainingLength: RemainingLength = .actual) {
        self.firstByte = firstByte
        self.body = body
        self.remainingLength = remainingLength
    }

    /// Starts from the valid encoding of `packet`, ready to be mutated.
    public init(packet: MQTTPacket, version: MQTTProtocolVersion) throws(MQTTEncodeError) {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(packet.encodedSize(version: version))
        try packet.write(to: &buffer, version: version)
        let first = buffer.readInteger(as: UInt8.self)!
        let headerLength = VariableByteInteger.size(of: packet.remainingLength(version: version))
        buffer.moveReaderIndex(forwardBy: headerLength)
        self.init(firstByte: first, body: buffer.slice())
    }

    /// The remaining-length bytes as they will be written.
    public var remainingLengthBytes: [UInt8] {
        switch remainingLength {
        case .actual: return Self.variableByteInteger(UInt64(body.readableBytes))
        case .value(let value): return Self.variableByteInteger(UInt64(value))
        case .bytes(let bytes): return bytes
        }
    }

    public var encodedSize: Int { 1 + remainingLengthBytes.count + body.readableBytes }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(firstByte)
        buffer.writeBytes(remainingLengthBytes)
        buffer.writeImmutableBuffer(body)
    }

    private static func variableByteInteger(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var remaining = value
        repeat {
            var byte = UInt8(truncatingIfNeeded: remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while remaining > 0
        return bytes
    }
}
