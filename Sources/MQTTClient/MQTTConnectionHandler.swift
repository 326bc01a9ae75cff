import MQTTCore
import NIOCore
import NIOSSL
import NIOTLS
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One MQTT connection in a channel pipeline, after `MQTTFrameDecoder`. Thin on purpose: it feeds
/// channel events into `MQTTConnectionStateMachine` and runs the actions that come back (encode and
/// write, arm the single keep-alive/CONNACK timer, close in one of four ways, call the delegate).
/// Everything here runs on the channel's event loop; its public methods must be called there too.
public final class MQTTConnectionHandler: ChannelDuplexHandler, NIOScheduledCallbackHandler {
    public typealias InboundIn = MQTTFrame
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var stateMachine: MQTTConnectionStateMachine
    private var delegate: (any MQTTConnectionDelegate)?
    private var context: ChannelHandlerContext?
    private var timer: NIOScheduledCallback?
    /// Named in TLS verification failures, to make them diagnosable; set by the connector.
    var trustedCAFiles: [String] = []
    /// Set by the connector when a WebSocket upgrade comes first: CONNECT waits for `MQTTTransportReady`
    /// instead of going out when TCP is up.
    var awaitsTransportUpgrade = false

    /// When each connection phase completed (TCP, TLS, CONNACK), for latency measurements.
    public private(set) var timings: MQTTPhaseTimings
    /// Why the connection ended, once it has.
    public private(set) var closeReason: MQTTCloseReason?

    /// The delegate is kept until `didClose`. Put the handler in a pipeline with `MQTTConnector`
    /// (or after `MQTTFrameDecoder` in a pipeline of your own). `session`: what the client's previous
    /// connection left in `sessionAfterClose`; its publishes complete through this handler's delegate.
    public init(
        configuration: MQTTConnectionConfiguration, session: MQTTClientSession? = nil,
        delegate: any MQTTConnectionDelegate
    ) {
        self.stateMachine = MQTTConnectionStateMachine(configuration: configuration, session: session)
        self.delegate = delegate
        self.timings = MQTTPhaseTimings()
    }

    public var configuration: MQTTConnectionConfiguration { stateMachine.configuration }
    public var phase: MQTTConnectionStateMachine.Phase { stateMachine.phase }
    /// What CONNACK said, once it arrived.
    public var connAckInfo: MQTTConnAckInfo? { stateMachine.connAckInfo }
    /// QoS 1/2 publishes sent and not yet acknowledged.
    public var publishesInFlight: Int { stateMachine.publishesInFlight }
    /// Publishes waiting for the server's Receive Maximum to allow them.
    public var queuedPublishCount: Int { stateMachine.queuedPublishCount }
    /// Once closed: the session state to hand to the next connection, when the session outlives this one.
    public var sessionAfterClose: MQTTClientSession? { stateMachine.sessionAfterClose }

    // MARK: - Requests (call on the event loop)

    /// Publishes `message`. QoS 0: written now, returns `nil`. QoS 1/2: returns the request that
    /// `didComplete` reports on PUBACK/PUBCOMP. Validation failures (QoS or retain not available,
    /// packet too large, invalid topic, not connected) throw here and never reach the delegate.
    @discardableResult
    public func publish(_ message: MQTTMessage) throws(MQTTClientError) -> MQTTRequestID? {
        let (request, action) = try stateMachine.publish(message, now: now)
        try runRequest(action)
        return request
    }

    /// Subscribes; `didComplete` reports the SUBACK reason codes.
    public func subscribe(
        _ subscriptions: [Subscription], properties: MQTTProperties = []
    ) throws(MQTTClientError) -> MQTTRequestID {
        let (request, action) = try stateMachine.subscribe(subscriptions, properties: properties, now: now)
        try runRequest(action)
        return request
    }

    /// Unsubscribes; `didComplete` reports the UNSUBACK reason codes.
    public func unsubscribe(_ filters: [String], properties: MQTTProperties = []) throws(MQTTClientError) -> MQTTRequestID {
        let (request, action) = try stateMachine.unsubscribe(filters, properties: properties, now: now)
        try runRequest(action)
        return request
    }

    /// Ends the connection in one of the four ways; `didClose` follows when the channel is gone.
    public func close(_ ending: MQTTEnding) {
        run(stateMachine.close(ending))
    }

    /// Called by the connector when the TCP connect starts, so `timings` covers the whole set-up.
    func connectStarted(at deadline: NIODeadline) {
        timings.connectStarted = deadline
    }

    /// Called by the connector when the transport never came up; the delegate hears `didClose`.
    func transportFailed(_ error: MQTTClientError) {
        run(stateMachine.transportFailed(error))
    }

    // MARK: - Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            becameActive()
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        becameActive()
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run(stateMachine.frameReceived(unwrapInboundIn(data), now: now))
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        run(stateMachine.errorCaught(MQTTClientError(channelError: error, trustedCAFiles: trustedCAFiles)))
    }

    /// Reads only while our writes drain (the channel's write-buffer watermarks, set by `MQTTConnector`):
    /// a broker that floods QoS 1 PUBLISH and never reads our PUBACKs fills its own socket, not our memory.
    /// A silent connection stays unread.
    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if stateMachine.phase != .silent, let options = context.channel.syncOptions {
            try? options.setOption(ChannelOptions.autoRead, value: context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        run(stateMachine.channelInactive())
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            timings.tlsHandshakeCompleted = now
        } else if event is MQTTTransportReady {
            timings.webSocketUpgraded = now
            awaitsTransportUpgrade = false
            startMQTT()
        } else if let report = event as? MQTTOversizedPacketDiscarded {
            delegate?.connection(self, didDiscardOversizedPacket: report)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A close from elsewhere in the pipeline (not one of the four endings) still ends the
    /// connection cleanly in the state machine before the channel closes.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        stateMachine.closeRequestedByChannel()
        context.close(mode: mode, promise: promise)
    }

    // MARK: - Timer

    public func handleScheduledCallback(eventLoop: some EventLoop) {
        timer = nil
        run(stateMachine.timerFired(now: now))
    }

    // MARK: - Running actions

    private var now: NIODeadline { context?.eventLoop.now ?? .now() }

    private func becameActive() {
        guard stateMachine.phase == .initialized, timings.tcpConnected == nil else { return }
        timings.tcpConnected = now
        if !awaitsTransportUpgrade { startMQTT() }
    }

    private func startMQTT() {
        run(stateMachine.channelActive(now: now))
    }

    private func run(_ action: MQTTConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .write(let packet):
            write(packet)
        case .writeAndScheduleTimer(let packet, let deadline):
            write(packet)
            schedule(at: deadline)
        case .scheduleTimer(let deadline):
            schedule(at: deadline)
        case .connected(let info, let timerDeadline):
            timings.connAckReceived = now
            if let timerDeadline { schedule(at: timerDeadline) } else { cancelTimer() }
            delegate?.connection(self, didConnect: info)
        case .resumed(let info, let timerDeadline, let resend, let abandoned):
            timings.connAckReceived = now
            if let timerDeadline { schedule(at: timerDeadline) } else { cancelTimer() }
            for packet in resend { write(packet) }
            for request in abandoned {
                delegate?.connection(self, didComplete: request, result: .failure(.sessionNotResumed))
            }
            delegate?.connection(self, didConnect: info)
        case .deliver(let publish, let acknowledge):
            if let acknowledge { write(acknowledge) }
            delegate?.connection(self, didReceive: publish)
        case .completeRequest(let request, let result, let thenWrite):
            if let thenWrite { write(thenWrite) }
            delegate?.connection(self, didComplete: request, result: result)
        case .close(let packet, let abrupt):
            cancelTimer()
            if let packet { write(packet) }
            if abrupt { closeAbruptly() } else { context?.close(promise: nil) }
        case .goSilent:
            cancelTimer()
            if let options = context?.channel.syncOptions {
                try? options.setOption(ChannelOptions.autoRead, value: false)
            }
        case .reportClosed(let reason, let failedRequests):
            cancelTimer()
            closeReason = reason
            let delegate = self.delegate
            self.delegate = nil
            for request in failedRequests {
                delegate?.connection(self, didComplete: request, result: .failure(reason.requestError))
            }
            delegate?.connection(self, didClose: reason)
        }
    }

    /// Runs the action of a new request. A packet that cannot be encoded (a string with U+0000, a
    /// property PUBLISH may not carry, …) fails only that request, by throwing here rather than
    /// through the delegate, so callers never hear of a request before they know its identifier.
    private func runRequest(_ action: MQTTConnectionStateMachine.Action) throws(MQTTClientError) {
        let packet: MQTTPacket
        switch action {
        case .write(let written):
            packet = written
        case .writeAndScheduleTimer(let written, let deadline):
            packet = written
            schedule(at: deadline)
        default:
            run(action)
            return
        }
        guard let context else { return }
        let buffer: ByteBuffer
        do {
            buffer = try encode(packet, allocator: context.channel.allocator)
        } catch {
            let failure = stateMachine.encodingFailed(packet, error)
            if case .completeRequest(_, .failure(let requestError), let thenWrite) = failure {
                if let thenWrite { write(thenWrite) }
                throw requestError
            }
            run(failure)
            throw MQTTClientError.encodingFailed(error)
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// Encodes into a buffer of exactly the packet's size and writes it.
    private func write(_ packet: MQTTPacket) {
        guard let context else { return }
        do {
            let buffer = try encode(packet, allocator: context.channel.allocator)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } catch {
            run(stateMachine.encodingFailed(packet, error))
        }
    }

    private func encode(_ packet: MQTTPacket, allocator: ByteBufferAllocator) throws(MQTTEncodeError) -> ByteBuffer {
        let version = stateMachine.configuration.version
        var buffer = allocator.buffer(capacity: packet.encodedSize(version: version))
        try packet.write(to: &buffer, version: version)
        return buffer
    }

    /// SO_LINGER 0 and a close issued below the TLS handler (or the WebSocket frame encoder): no
    /// DISCONNECT, no close_notify, no WebSocket close frame, and the kernel answers with a TCP reset —
    /// what a broker sees when a device loses power.
    private func closeAbruptly() {
        guard let context else { return }
        let pipeline = context.pipeline.syncOperations
        let closer = (try? pipeline.context(handlerType: NIOSSLClientHandler.self))
            ?? (try? pipeline.context(handlerType: WebSocketFrameEncoder.self)) ?? context
        guard let socket = context.channel as? any SocketOptionProvider else {
            closer.close(promise: nil)
            return
        }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
            closer.close(promise: nil)
        }
    }

    private func schedule(at deadline: NIODeadline) {
        cancelTimer()
        guard let context else { return }
        timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: deadline, handler: self)
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

extension MQTTClientError {
    /// Maps an error raised in the pipeline (frame decoder, TLS, socket) to a typed client error.
    init(channelError error: any Error, trustedCAFiles: [String]) {
        if let clientError = error as? MQTTClientError {
            self = clientError
        } else if let decodeError = error as? MQTTDecodeError {
            let code: ReasonCode
            if case .packetTooLarge = decodeError.kind { code = .packetTooLarge } else { code = .malformedPacket }
            self = .protocolViolation(.init(reasonCode: code, detail: decodeError.description, decodeError: decodeError))
        } else if let tlsFailure = MQTTTLSFailure(error, caFiles: trustedCAFiles) {
            self = .tls(tlsFailure)
        } else if let ioError = error as? IOError {
            self = .io(ioError.plainDescription)
        } else {
            self = .io("\(error)")
        }
    }
}

/// Bound to its channel's event loop: hand it across threads only inside `NIOLoopBound`.
@available(*, unavailable)
extension MQTTConnectionHandler: Sendable {}
