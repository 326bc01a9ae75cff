import MQTTCore
import NIOCore

/// Cuts the inbound byte stream into MQTT frames. Decoding a frame into a packet needs the
/// protocol version and belongs to the state machine; this only frames. A frame larger than
/// `maximumPacketSize` is seen from its fixed header alone and handled as `oversized` says: refused at
/// once, or skipped as its bytes arrive, so it is never buffered whole whatever the peer announces.
public struct MQTTFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = MQTTFrame

    /// What `next(from:)` found in the stream.
    public enum Output: Sendable, Hashable {
        case frame(MQTTFrame)
        /// The last byte of an oversized packet went past (fired up the pipeline as a user event).
        case discarded(MQTTOversizedPacketDiscarded)
    }

    /// The oversized packet being skipped and how many of its bytes have yet to arrive.
    private struct Skip: Sendable {
        var report: MQTTOversizedPacketDiscarded
        var remaining: Int
    }

    public let maximumPacketSize: Int
    public let oversized: OversizedPacketHandling
    private var skip: Skip?

    public init(
        maximumPacketSize: Int = MQTTConnectionConfiguration.protocolMaximumPacketSize,
        oversized: OversizedPacketHandling = .closeConnection
    ) {
        self.maximumPacketSize = maximumPacketSize
        self.oversized = oversized
    }

    /// The next frame or finished discard in `buffer`, or `nil` until more bytes arrive. While skipping,
    /// every readable byte is consumed, so at most one read's worth is ever held for an oversized packet.
    public mutating func next(from buffer: inout ByteBuffer) throws(MQTTDecodeError) -> Output? {
        if var skip {
            let count = min(skip.remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: count)
            skip.remaining -= count
            self.skip = skip.remaining > 0 ? skip : nil
            return skip.remaining > 0 ? nil : .discarded(skip.report)
        }
        do {
            return try MQTTFrame.read(from: &buffer, maximumPacketSize: maximumPacketSize).map(Output.frame)
        } catch {
            guard case .packetTooLarge(let size, _) = error.kind, let type = error.packetType else { throw error }
            switch oversized {
            case .closeConnection:
                throw error
            case .discard:
                skip = Skip(report: .init(packetType: type, size: size, limit: maximumPacketSize), remaining: size)
                return try next(from: &buffer)
            case .truncatePublish:
                guard type == .publish else { throw error }
                return try truncatedPublish(size: size, from: &buffer, refusal: error)
            }
        }
    }

    /// esp-mqtt's rule (mqtt_message_receive): the fixed header, topic and packet identifier must fit the
    /// buffer; the buffer's worth is delivered and the rest read past. `nil` until those bytes are here.
    private mutating func truncatedPublish(
        size: Int, from buffer: inout ByteBuffer, refusal: MQTTDecodeError
    ) throws(MQTTDecodeError) -> Output? {
        let start = buffer.readerIndex
        // MQTTFrame.read has validated the remaining length: its last byte is the first without bit 7.
        var headerLength = 2
        while let byte = buffer.getInteger(at: start + headerLength - 1, as: UInt8.self), byte & 0x80 != 0 {
            headerLength += 1
        }
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
              let topicLength = buffer.getInteger(at: start + headerLength, as: UInt16.self)
        else { return nil }
        let packetIdentifierLength = (first >> 1) & 0x03 == 0 ? 0 : 2
        guard headerLength + 2 + Int(topicLength) + packetIdentifierLength <= maximumPacketSize else { throw refusal }
        guard buffer.readableBytes >= maximumPacketSize else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        let body = buffer.readSlice(length: maximumPacketSize - headerLength)!
        let report = MQTTOversizedPacketDiscarded(
            packetType: .publish, size: size, limit: maximumPacketSize, deliveredBytes: maximumPacketSize)
        skip = Skip(report: report, remaining: size - maximumPacketSize)
        return .frame(MQTTFrame(type: .publish, flags: first & 0x0F, body: body))
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch try next(from: &buffer) {
        case nil:
            return .needMoreData
        case .frame(let frame):
            context.fireChannelRead(NIOAny(frame))
        case .discarded(let report):
            context.fireUserInboundEventTriggered(report)
        }
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
