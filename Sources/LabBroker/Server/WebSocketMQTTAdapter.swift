import NIOCore
import NIOWebSocket

/// Carries MQTT bytes in WebSocket binary frames (MQTT 5.0 §6, 3.1.1 §6), so the connection handler
/// behind it sees the same byte stream as on TCP: frame payloads are passed on as they come, and the
/// handler's framer reassembles packets that span frames or share one.
///
/// RFC 6455 duties it takes: a client frame without a mask, with reserved bits, with an unknown opcode
/// or out of fragmentation order closes with 1002; a text frame closes with 1003 (MQTT is binary only);
/// ping gets pong; a frame above the decoder's maximum closes with 1009; a close frame is answered with
/// a close frame (echoing its code) and the connection is closed. Closing
/// the channel from behind (the engine's `.close`) first sends a close frame (1000).
final class WebSocketMQTTAdapter: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    /// Our close frame went out: nothing else is sent, and data frames that still arrive are dropped.
    private var sentClose = false
    /// A binary message whose final frame has not arrived: only continuation frames may follow.
    private var inFragmentedMessage = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !sentClose else { return }
        guard frame.maskKey != nil, frame.reservedBits.isEmpty else {
            return fail(context: context, code: .protocolError)
        }
        switch frame.opcode {
        case .binary where !inFragmentedMessage, .continuation where inFragmentedMessage:
            inFragmentedMessage = !frame.fin
            let payload = frame.unmaskedData
            if payload.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(payload))
            }
        case .text:
            fail(context: context, code: .unacceptableData)
        case .ping:
            // A client that pings without reading must not grow our queue: while the channel is
            // unwritable pings go unanswered (RFC 6455 §5.5.3 lets an endpoint answer only the latest).
            guard context.channel.isWritable else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readWebSocketErrorCode() ?? .normalClosure
            fail(context: context, code: code)
        default:
            fail(context: context, code: .protocolError)
        }
    }

    /// The frame decoder's errors (oversized frame, fragmented or long control frame); NIO's own error
    /// handler is not installed, so close frames are sent from this one place.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, !sentClose {
            fail(context: context, code: error == .invalidFrameLength ? .messageTooLarge : .protocolError)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !sentClose else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: unwrapOutboundIn(data))
        context.write(wrapOutboundOut(frame), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, !sentClose, context.channel.isActive {
            sendClose(context: context, code: .normalClosure)
        }
        context.close(mode: mode, promise: promise)
    }

    /// Sends a close frame with `code` and closes the connection (the server closes TCP first, §7.1.1).
    private func fail(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        sendClose(context: context, code: code)
        context.close(promise: nil)
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
