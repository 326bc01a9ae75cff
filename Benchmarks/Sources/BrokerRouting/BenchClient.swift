import MQTTCore
import NIOCore
import NIOPosix

/// One MQTT 3.1.1 connection of the load: CONNECT (and SUBSCRIBE for a subscriber) through MQTTCore,
/// then either counting the PUBLISH frames that arrive or writing a pre-encoded batch of PUBLISH frames
/// whenever the socket takes more. No packet is decoded past its fixed header and nothing is allocated
/// per message, so the broker, not this process, is what runs out of CPU.
final class BenchClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case subscriber(filter: String)
        /// `batch` holds `framesPerBatch` PUBLISH frames back to back, written as one buffer.
        case publisher(batch: ByteBuffer, framesPerBatch: Int)
    }

    private let clientID: String
    private let role: Role
    private let window: InFlightWindow
    /// Succeeds at CONNACK (publisher) or SUBACK (subscriber); fails if the broker refuses or closes.
    let ready: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var pending = ByteBuffer()
    private var publishing = false
    /// A pump is queued for the next loop turn.
    private var scheduled = false
    /// PUBLISH frames received (subscriber) or handed to the channel (publisher).
    private(set) var messages: UInt64 = 0
    private(set) var closed = false

    init(clientID: String, role: Role, window: InFlightWindow, ready: EventLoopPromise<Void>) {
        self.clientID = clientID
        self.role = role
        self.window = window
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        write(.connect(ConnectPacket(clientIdentifier: clientID, cleanStart: true, keepAliveSeconds: 60)), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        publishing = false
        ready.fail(RoutingError("\(clientID): the broker closed the connection"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ready.fail(error)
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let incoming = unwrapInboundIn(data)
        if pending.readableBytes == 0 {
            pending = incoming
        } else {
            pending.writeImmutableBuffer(incoming)
        }
        var publishes: UInt64 = 0
        do {
            while let frame = try MQTTFrame.read(from: &pending, maximumPacketSize: 1 << 28) {
                switch frame.type {
                case .publish: publishes &+= 1
                case .connack, .suback: try handshake(frame, context: context)
                default: break
                }
            }
        } catch {
            errorCaught(context: context, error: error)
        }
        if pending.readableBytes == 0 { pending.clear() } else { pending.discardReadBytes() }
        if publishes > 0 {
            messages &+= publishes
            window.didDeliver(publishes, atNs: NIODeadline.now().uptimeNanoseconds)
        }
    }

    private func handshake(_ frame: MQTTFrame, context: ChannelHandlerContext) throws {
        switch try MQTTPacket(frame: frame, version: .v3_1_1) {
        case .connack(let connack):
            guard connack.reasonCode.rawValue == 0 else {
                throw RoutingError("\(clientID): CONNACK refused (\(connack.reasonCode))")
            }
            switch role {
            case .publisher: ready.succeed()
            case .subscriber(let filter):
                write(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: filter)])),
                      context: context)
            }
        case .suback(let suback):
            guard let granted = suback.reasonCodes.first, granted.rawValue < 0x80 else {
                throw RoutingError("\(clientID): SUBSCRIBE refused")
            }
            ready.succeed()
        default:
            break
        }
    }

    private func write(_ packet: MQTTPacket, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try packet.write(to: &buffer, version: .v3_1_1)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } catch {
            errorCaught(context: context, error: error)
        }
    }

    /// Starts (or stops) writing PUBLISH batches as fast as the socket takes them. Call on the loop.
    func setPublishing(_ on: Bool) {
        publishing = on
        if on { pump() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump() }
        context.fireChannelWritabilityChanged()
    }

    /// The window has room again.
    func resume() { pump() }

    /// Writes one batch and flushes it, then goes again on the next loop turn while the socket takes
    /// more and the window has credit: every publisher gets a batch per turn, and none keeps the others
    /// (or the subscriber) from the loop. An unwritable publisher waits for its writability event; one
    /// out of credit parks until deliveries free the window.
    private func pump() {
        guard case .publisher(let batch, let framesPerBatch) = role, let context, publishing, !scheduled,
              context.channel.isWritable else { return }
        guard window.hasCredit else {
            window.park(self)
            return
        }
        // Set before the flush, which may call back here through a writability change.
        scheduled = true
        context.writeAndFlush(wrapOutboundOut(batch), promise: nil)
        messages &+= UInt64(framesPerBatch)
        window.didPublish(framesPerBatch)
        context.eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            pump()
        }
    }
}

extension BenchClient.Role {
    /// `count` QoS 0 PUBLISH frames to `topic`, each with a `size`-byte payload, encoded by MQTTCore.
    static func publisher(topic: String, payloadSize: Int, count: Int) throws -> BenchClient.Role {
        let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: payloadSize)
        var batch = ByteBuffer()
        for _ in 0..<count {
            try MQTTPacket.publish(PublishPacket(topic: topic, payload: payload)).write(to: &batch, version: .v3_1_1)
        }
        return .publisher(batch: batch, framesPerBatch: count)
    }
}
