import MQTTCore
import NIOCore

/// Cuts the inbound byte stream into MQTT frames. Decoding a frame into a packet needs the
/// protocol version and belongs to the state machine; this only frames, and refuses a frame larger
/// than `maximumPacketSize` as soon as its fixed header announces it (before buffering the body).
public struct MQTTFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = MQTTFrame

    public let maximumPacketSize: Int

    public init(maximumPacketSize: Int = MQTTConnectionConfiguration.protocolMaximumPacketSize) {
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try MQTTFrame.read(from: &buffer, maximumPacketSize: maximumPacketSize) else {
            return .needMoreData
        }
        context.fireChannelRead(NIOAny(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
