import NIOCore
import NIOWebSocket

/// The client's half of MQTT over WebSocket (MQTT 5.0 §6, RFC 6455), between the frame codec and the
/// MQTT framer: frame payloads go up as a plain byte stream (MQTT packets may span frames or share one),
/// MQTT bytes go down as masked binary frames.
///
/// RFC 6455 duties: a masked server frame, reserved bits, an unknown opcode or a break in fragmentation
/// order closes with 1002; a text frame closes with 1003 (MQTT is binary only); a ping is answered with a
/// pong; a frame above the decoder's maximum closes with 1009. A close from the server is answered with a
/// close frame and the connection is closed. A close from behind (a graceful MQTT ending, after its
/// DISCONNECT) sends a close frame and waits, bounded, for the server's own before closing TCP. The
/// abrupt ending closes beneath this handler, so no close frame goes out: the server sees a reset.
final class WebSocketMQTTFraming: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private let closeTimeout: TimeAmount
    /// Our close frame went out: nothing else is sent, and data frames that still arrive are dropped.
    private var sentClose = false
    /// A binary message whose final frame has not arrived: only continuation frames may follow.
    private var inFragmentedMessage = false
    /// The close that waits for the server's close frame, and its deadline.
    private var pendingClose: (promise: EventLoopPromise<Void>?, deadline: Scheduled<Void>)?

    init(closeTimeout: TimeAmount) {
        self.closeTimeout = closeTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.maskKey == nil, frame.reservedBits.isEmpty else {
            return fail(context: context, code: .protocolError)
        }
        switch frame.opcode {
        case .binary where !inFragmentedMessage, .continuation where inFragmentedMessage:
            inFragmentedMessage = !frame.fin
            guard !sentClose, frame.data.readableBytes > 0 else { return }
            context.fireChannelRead(wrapInboundOut(frame.data))
        case .text:
            fail(context: context, code: .unacceptableData)
        case .ping:
            // Unanswered while our writes do not drain: a server that pings without reading must not
            // grow our queue (RFC 6455 §5.5.3 lets an endpoint answer only the latest ping).
            guard !sentClose, context.channel.isWritable else { return }
            context.writeAndFlush(wrapOutboundOut(masked(opcode: .pong, frame.data)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            if sentClose {
                finishClose(context: context)
            } else {
                var payload = frame.data
                fail(context: context, code: payload.readWebSocketErrorCode() ?? .normalClosure)
            }
        default:
            fail(context: context, code: .protocolError)
        }
    }

    /// The frame decoder's errors (oversized frame, fragmented or long control frame).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? NIOWebSocketError, !sentClose {
            sendClose(context: context, code: error == .invalidFrameLength ? .messageTooLarge : .protocolError)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !sentClose else {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        context.write(wrapOutboundOut(masked(opcode: .binary, unwrapOutboundIn(data))), promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, !sentClose, pendingClose == nil, context.channel.isActive else {
            return context.close(mode: mode, promise: promise)
        }
        sendClose(context: context, code: .normalClosure)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let deadline = context.eventLoop.scheduleTask(in: closeTimeout) {
            let (framing, context) = bound.value
            framing.finishClose(context: context)
        }
        pendingClose = (promise, deadline)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let pending = pendingClose {
            pendingClose = nil
            pending.deadline.cancel()
            pending.promise?.succeed()
        }
        context.fireChannelInactive()
    }

    /// The close handshake is over (the server's close frame came, or its time ran out): close TCP.
    private func finishClose(context: ChannelHandlerContext) {
        let pending = pendingClose
        pendingClose = nil
        pending?.deadline.cancel()
        context.close(promise: pending?.promise)
    }

    /// Sends a close frame with `code` and closes the connection at once (a protocol failure, or the
    /// answer to the server's close).
    private func fail(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        if !sentClose { sendClose(context: context, code: code) }
        finishClose(context: context)
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(masked(opcode: .connectionClose, payload)), promise: nil)
    }

    /// A client frame: every one is masked with a fresh key (RFC 6455 §5.3); the encoder applies it.
    private func masked(opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
    }
}

@available(*, unavailable)
extension WebSocketMQTTFraming: Sendable {}
