import MQTTCore
import NIOCore
import NIOSSL
import NIOTLS

/// One client connection's MQTT bytes, on every transport: TCP and TLS directly, WebSocket behind a
/// `WebSocketMQTTAdapter`. It frames what arrives and hands the frames to the `ServerCore`; it encodes
/// what the engine sends into one buffer per batch and writes it when the core flushes.
///
/// It tells the engine about the connection once the transport is ready: on channel active for TCP,
/// after the TLS handshake for TLS (reading the client certificate's CN), on being added after the
/// WebSocket upgrade for WS and WSS.
final class ServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        /// Accepted; TLS handshake or WebSocket upgrade not done yet.
        case awaitingTransport
        /// Known to the engine.
        case open
        /// The engine asked for the close and has forgotten the connection.
        case closedByEngine
        /// The channel is gone.
        case ended
    }

    let id: ConnectionID
    let transport: ConnectionFacts.Transport
    let channel: any Channel
    private let core: ServerCore
    private(set) var state = State.awaitingTransport
    private var context: ChannelHandlerContext?
    private var framer: InboundFramer
    /// What the engine sent in this batch, encoded; nil between batches so an idle connection holds nothing.
    private var unflushed: ByteBuffer?
    private var backlog = OutboundBacklog()
    /// Close once the unflushed bytes are written (engine close, backlog bound, framing failure).
    private var closeAfterFlush = false
    private var forcedClose: Scheduled<Void>?
    /// Set by the core while this connection is in its list of connections to flush.
    var isTouched = false

    /// How long a close waits for the last bytes to be written before the channel is closed regardless.
    static let closeLinger = TimeAmount.seconds(5)

    init(id: ConnectionID, transport: ConnectionFacts.Transport, channel: any Channel, core: ServerCore) {
        self.id = id
        self.transport = transport
        self.channel = channel
        self.core = core
        self.framer = InboundFramer(maximumPacketSize: core.maximumPacketSize)
    }

    var isAwaitingTransport: Bool { state == .awaitingTransport }

    // MARK: Opening

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // After a WebSocket upgrade the channel is long active and any TLS handshake is done.
        if context.channel.isActive && (transport == .webSocket || transport == .secureWebSocket) {
            open(context: context)
        }
    }

    /// Also reached when the channel closes without ever having been active.
    func handlerRemoved(context: ChannelHandlerContext) {
        transportEnded()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if transport == .tcp {
            open(context: context)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if transport == .tls, let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            open(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func open(context: ChannelHandlerContext) {
        guard state == .awaitingTransport else { return }
        state = .open
        var facts = ConnectionFacts(transport: transport, remoteAddress: Self.describe(context.channel.remoteAddress))
        if transport == .tls || transport == .secureWebSocket,
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        {
            facts.certificateCommonName = PeerCertificate.commonName(of: certificate)
        }
        core.opened(self, facts: facts)
    }

    /// `192.0.2.1:50123`, `[::1]:50123`.
    private static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// The core's handshake bound passed before the transport was ready.
    func handshakeTimedOut() {
        guard state == .awaitingTransport else { return }
        channel.close(promise: nil)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state == .open, !closeAfterFlush else { return }
        framer.append(unwrapInboundIn(data))
        let now = core.eventLoop.now
        while state == .open && !closeAfterFlush {
            do {
                guard let frame = try framer.next() else { return }
                core.received(frame, from: self, now: now)
            } catch {
                core.framingFailed(error, on: self, now: now)
                // The engine closes the connection; if it did not, the stream is unusable anyway.
                if state == .open { closeWithoutEngine() }
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.readBatchEnded()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        backlog.writability(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state == .awaitingTransport, error is NIOSSLError || error is BoringSSLError {
            core.count { $0.tlsHandshakesFailed += 1 }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        transportEnded()
        context.fireChannelInactive()
    }

    /// The channel is gone (inactive, handler removed, or — before a WebSocket upgrade — its close
    /// future): the first call tells the core, which tells the engine unless the engine asked for the close.
    func transportEnded() {
        guard state != .ended else { return }
        let previous = state
        state = .ended
        unflushed = nil
        framer = InboundFramer(maximumPacketSize: framer.maximumPacketSize)
        forcedClose?.cancel()
        forcedClose = nil
        core.connectionEnded(self, engineKnowsIt: previous == .open)
    }

    // MARK: Outbound

    /// Encodes `packet` after what this batch already holds, within the backlog bound.
    func send(_ packet: MQTTPacket, version: MQTTProtocolVersion) {
        guard state == .open, !closeAfterFlush else { return }
        var buffer: ByteBuffer
        if let held = unflushed {
            buffer = held
            unflushed = nil
        } else {
            buffer = channel.allocator.buffer(capacity: packet.encodedSize(version: version))
        }
        let start = buffer.writerIndex
        do {
            try packet.write(to: &buffer, version: version)
        } catch {
            core.count { $0.packetsNotEncodable += 1 }
        }
        let size = buffer.writerIndex - start
        if size > 0 {
            let decision = backlog.decide(
                size: size, isQoS0Publish: Self.isQoS0Publish(packet), unflushed: start - buffer.readerIndex)
            switch decision {
            case .send:
                break
            case .dropQoS0:
                buffer.moveWriterIndex(to: start)
                core.count { $0.qos0DeliveriesDropped += 1 }
            case .closeConnection:
                buffer.moveWriterIndex(to: start)
                core.count { $0.connectionsClosedForBacklog += 1 }
                closeAfterFlush = true
            }
        }
        unflushed = buffer
        core.touch(self)
    }

    private static func isQoS0Publish(_ packet: MQTTPacket) -> Bool {
        if case .publish(let publish) = packet { return publish.qos == .atMostOnce }
        return false
    }

    /// The engine's `.close`: written bytes go out first, then the channel closes; the engine is not told.
    func closeRequestedByEngine() {
        guard state == .open else { return }
        state = .closedByEngine
        closeAfterFlush = true
        core.touch(self)
    }

    /// A close the engine did not ask for: it hears `connectionClosed` when the channel goes.
    private func closeWithoutEngine() {
        closeAfterFlush = true
        core.touch(self)
    }

    /// Writes and flushes this batch's bytes (once per batch, called by the core) and performs a pending close.
    func flushPending() {
        let buffer = unflushed
        unflushed = nil
        guard let context, state == .open || state == .closedByEngine else { return }
        var written: EventLoopFuture<Void>?
        if let buffer, buffer.readableBytes > 0 {
            backlog.writability(context.channel.isWritable)
            backlog.handedToChannel(buffer.readableBytes)
            if closeAfterFlush {
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
                written = promise.futureResult
            } else {
                context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            }
        }
        guard closeAfterFlush, forcedClose == nil else { return }
        guard let written else {
            context.close(promise: nil)
            return
        }
        let channel = self.channel
        forcedClose = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeLinger) {
            channel.close(promise: nil)
        }
        written.assumeIsolated().whenComplete { _ in channel.close(promise: nil) }
    }
}
