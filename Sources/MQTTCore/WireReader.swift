import NIOCore

/// Bounds-checked reads over a packet body. Every read checks against `limit` before touching the
/// buffer and fails with an `MQTTDecodeError` that locates the offending bytes in the whole packet.
struct WireReader {
    private(set) var buffer: ByteBuffer
    let packetType: MQTTPacketType
    /// Bytes of fixed header before the body, so offsets count from the packet's first byte.
    private let headerLength: Int
    private let bodyStart: Int
    /// Reads never go at or past this index (narrowed while reading a property list).
    private(set) var limit: Int

    init(body: ByteBuffer, packetType: MQTTPacketType) {
        self.buffer = body
        self.packetType = packetType
        self.headerLength = 1 + VariableByteInteger.size(of: body.readableBytes)
        self.bodyStart = body.readerIndex
        self.limit = body.writerIndex
    }

    var index: Int { buffer.readerIndex }
    var remaining: Int { limit - buffer.readerIndex }
    var isAtEnd: Bool { buffer.readerIndex >= limit }

    func error(_ kind: MQTTDecodeError.Kind, at index: Int? = nil) -> MQTTDecodeError {
        let at = min(max(index ?? buffer.readerIndex, bodyStart), buffer.writerIndex)
        // `get` reads only within readable bytes, and the offending bytes may already have been read.
        var view = buffer
        view.moveReaderIndex(to: at)
        let length = min(MQTTDecodeError.maximumReportedBytes, view.readableBytes)
        return MQTTDecodeError(
            kind: kind,
            packetType: packetType,
            offset: headerLength + at - bodyStart,
            bytes: view.readBytes(length: length) ?? []
        )
    }

    /// An error about the first byte (type and flags) of the packet.
    func fixedHeaderError(_ kind: MQTTDecodeError.Kind, flags: UInt8) -> MQTTDecodeError {
        MQTTDecodeError(kind: kind, packetType: packetType, offset: 0, bytes: [packetType.rawValue << 4 | (flags & 0x0F)])
    }

    private func require(_ count: Int) throws(MQTTDecodeError) {
        guard count <= remaining else { throw error(.truncated) }
    }

    mutating func readByte() throws(MQTTDecodeError) -> UInt8 {
        try require(1)
        return buffer.readInteger(as: UInt8.self)!
    }

    mutating func readUInt16() throws(MQTTDecodeError) -> UInt16 {
        try require(2)
        return buffer.readInteger(as: UInt16.self)!
    }

    mutating func readUInt32() throws(MQTTDecodeError) -> UInt32 {
        try require(4)
        return buffer.readInteger(as: UInt32.self)!
    }

    mutating func readVariableByteInteger() throws(MQTTDecodeError) -> UInt32 {
        switch VariableByteInteger.decode(from: buffer, at: index, limit: limit) {
        case .value(let value, let length):
            buffer.moveReaderIndex(forwardBy: length)
            return value
        case .incomplete: throw error(.truncated)
        case .tooLong: throw error(.variableByteIntegerTooLong)
        case .notMinimal: throw error(.variableByteIntegerNotMinimal)
        }
    }

    /// A non-zero packet identifier.
    mutating func readPacketIdentifier() throws(MQTTDecodeError) -> UInt16 {
        let start = index
        let identifier = try readUInt16()
        guard identifier != 0 else { throw error(.missingPacketIdentifier, at: start) }
        return identifier
    }

    /// A length-prefixed UTF-8 string: well-formed, no U+0000.
    mutating func readString() throws(MQTTDecodeError) -> String {
        let start = index
        let length = Int(try readUInt16())
        guard length <= remaining else { throw error(.truncated, at: start) }
        let stringStart = index
        let failure = buffer.withUnsafeReadableBytes { bytes in
            UTF8Validation.firstFailure(in: UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
        }
        switch failure {
        case .malformed(let offset)?:
            throw error(.malformedUTF8, at: stringStart + offset)
        case .nullCharacter(let offset)?:
            throw error(.disallowedCodePoint(0), at: stringStart + offset)
        case nil:
            return buffer.readString(length: length)!
        }
    }

    /// A string that must be a valid topic filter.
    mutating func readTopicFilter() throws(MQTTDecodeError) -> String {
        let start = index
        let filter = try readString()
        do throws(MQTTTopicError) {
            try TopicRules.validateTopicFilter(filter)
        } catch {
            throw self.error(.invalidTopicFilter(error), at: start)
        }
        return filter
    }

    /// Length-prefixed binary data as a slice of the packet (no copy).
    mutating func readBinary() throws(MQTTDecodeError) -> ByteBuffer {
        let start = index
        let length = Int(try readUInt16())
        guard length <= remaining else { throw error(.truncated, at: start) }
        return buffer.readSlice(length: length)!
    }

    /// Everything up to the limit as a slice (no copy): the PUBLISH payload, the will payload's remainder.
    mutating func readRest() -> ByteBuffer {
        buffer.readSlice(length: remaining)!
    }

    /// Narrows reads to the next `length` bytes; `restoreLimit` widens them again.
    mutating func narrow(to length: Int) throws(MQTTDecodeError) -> Int {
        try require(length)
        let previous = limit
        limit = index + length
        return previous
    }

    mutating func restoreLimit(_ previous: Int) {
        limit = previous
    }

    /// Fails if anything is left before the limit.
    func expectEnd() throws(MQTTDecodeError) {
        guard isAtEnd else { throw error(.trailingBytes(count: remaining)) }
    }
}
