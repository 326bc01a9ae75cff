import MQTTCore
import NIOCore
import NIOPosix

/// What a successful connect tells: the CONNACK and how long each phase took.
public struct MQTTConnectResult: Sendable, Hashable {
    public var connAck: MQTTConnAckInfo
    public var timings: MQTTPhaseTimings
}

/// An async façade over one `MQTTConnectionHandler`, for the probe, tests and observers: a handful
/// of connections that want `await`. The fleet drives the handler and its delegate directly instead
/// (no Task per connection); both paths share the same handler and state machine.
public final class MQTTClient: Sendable {
    public let eventLoop: any EventLoop
    public let channel: any Channel
    public let connectResult: MQTTConnectResult
    /// Inbound application messages, in arrival order; finishes when the connection ends.
    public let messages: AsyncStream<PublishPacket>
    private let handler: NIOLoopBound<MQTTConnectionHandler>
    private let bridge: NIOLoopBound<AsyncBridge>
    private let closeFuture: EventLoopFuture<MQTTCloseReason>

    private init(
        eventLoop: any EventLoop, channel: any Channel, connectResult: MQTTConnectResult,
        messages: AsyncStream<PublishPacket>, handler: NIOLoopBound<MQTTConnectionHandler>,
        bridge: NIOLoopBound<AsyncBridge>, closeFuture: EventLoopFuture<MQTTCloseReason>
    ) {
        self.eventLoop = eventLoop
        self.channel = channel
        self.connectResult = connectResult
        self.messages = messages
        self.handler = handler
        self.bridge = bridge
        self.closeFuture = closeFuture
    }

    /// Connects and waits for CONNACK. Throws `MQTTClientError` (TCP, TLS, CONNACK refusal, …).
    /// With `tls`, the context comes from `tlsContextCache` when given, else is built here.
    public static func connect(
        to endpoint: MQTTEndpoint,
        tls: TLSSettings? = nil,
        configuration: MQTTConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tlsContextCache: MQTTTLSContextCache? = nil
    ) async throws -> MQTTClient {
        let tlsContext: MQTTTLSContext?
        if let tls {
            tlsContext = try tlsContextCache?.context(for: tls) ?? tls.makeContext()
        } else {
            tlsContext = nil
        }
        let eventLoop = eventLoopGroup.next()
        let (messages, continuation) = AsyncStream.makeStream(of: PublishPacket.self)
        let connected = eventLoop.makePromise(of: MQTTConnectResult.self)
        let closed = eventLoop.makePromise(of: MQTTCloseReason.self)

        let (channel, handler, bridge) = try await eventLoop.flatSubmit {
            let bridge = AsyncBridge(connected: connected, closed: closed, messages: continuation)
            let handler = MQTTConnectionHandler(configuration: configuration, delegate: bridge)
            let bound = (NIOLoopBound(handler, eventLoop: eventLoop), NIOLoopBound(bridge, eventLoop: eventLoop))
            return MQTTConnector.connect(handler, to: endpoint, tls: tlsContext, on: eventLoop).map { channel in
                (channel, bound.0, bound.1)
            }
        }.get()
        let result = try await connected.futureResult.get()
        return MQTTClient(
            eventLoop: eventLoop, channel: channel, connectResult: result, messages: messages, handler: handler,
            bridge: bridge, closeFuture: closed.futureResult)
    }

    /// Publishes; returns when written (QoS 0), on PUBACK (QoS 1) or on PUBCOMP (QoS 2), with the
    /// broker's reason code.
    @discardableResult
    public func publish(_ message: MQTTMessage) async throws -> ReasonCode {
        let outcome = try await request { handler throws(MQTTClientError) in try handler.publish(message) }
        guard case .published(let code) = outcome else { return .success }
        return code
    }

    /// Subscribes; returns the SUBACK reason codes (granted QoS or refusal), one per subscription.
    public func subscribe(_ subscriptions: [Subscription], properties: MQTTProperties = []) async throws -> [ReasonCode] {
        let outcome = try await request { handler throws(MQTTClientError) in
            try handler.subscribe(subscriptions, properties: properties)
        }
        guard case .subscribed(let codes) = outcome else { return [] }
        return codes
    }

    /// Unsubscribes; returns the UNSUBACK reason codes, one per filter.
    public func unsubscribe(_ filters: [String], properties: MQTTProperties = []) async throws -> [ReasonCode] {
        let outcome = try await request { handler throws(MQTTClientError) in
            try handler.unsubscribe(filters, properties: properties)
        }
        guard case .unsubscribed(let codes) = outcome else { return [] }
        return codes
    }

    /// Ends the connection in one of the four ways and waits until it is gone (for `.silent`, until
    /// the broker closes it).
    @discardableResult
    public func close(_ ending: MQTTEnding) async -> MQTTCloseReason {
        eventLoop.execute { [handler] in handler.value.close(ending) }
        return await closed()
    }

    /// Waits for the connection to end and returns why.
    public func closed() async -> MQTTCloseReason {
        (try? await closeFuture.get()) ?? .failed(.connectionClosed)
    }

    /// The connection's phase timings as they stand now.
    public var timings: MQTTPhaseTimings {
        get async throws { try await eventLoop.submit { [handler] in handler.value.timings }.get() }
    }

    /// Runs `start` on the event loop and, when it returns a request, waits for its completion.
    private func request(
        _ start: @escaping @Sendable (MQTTConnectionHandler) throws(MQTTClientError) -> MQTTRequestID?
    ) async throws -> MQTTRequestOutcome {
        try await eventLoop.flatSubmit { [eventLoop, handler, bridge] () -> EventLoopFuture<MQTTRequestOutcome> in
            do {
                guard let request = try start(handler.value) else {
                    return eventLoop.makeSucceededFuture(.published(.success))
                }
                return bridge.value.await(request)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
        }.get()
    }
}

/// The delegate behind `MQTTClient`: turns callbacks into promise completions and stream elements.
final class AsyncBridge: MQTTConnectionDelegate {
    private let connected: EventLoopPromise<MQTTConnectResult>
    private let closed: EventLoopPromise<MQTTCloseReason>
    private let messages: AsyncStream<PublishPacket>.Continuation
    private var pending: [MQTTRequestID: EventLoopPromise<MQTTRequestOutcome>] = [:]
    private var didReportConnected = false

    init(
        connected: EventLoopPromise<MQTTConnectResult>, closed: EventLoopPromise<MQTTCloseReason>,
        messages: AsyncStream<PublishPacket>.Continuation
    ) {
        self.connected = connected
        self.closed = closed
        self.messages = messages
    }

    func await(_ request: MQTTRequestID) -> EventLoopFuture<MQTTRequestOutcome> {
        let promise = connected.futureResult.eventLoop.makePromise(of: MQTTRequestOutcome.self)
        pending[request] = promise
        return promise.futureResult
    }

    func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) {
        didReportConnected = true
        connected.succeed(MQTTConnectResult(connAck: info, timings: connection.timings))
    }

    func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) {
        messages.yield(publish)
    }

    func connection(
        _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
        result: Result<MQTTRequestOutcome, MQTTClientError>
    ) {
        guard let promise = pending.removeValue(forKey: request) else { return }
        switch result {
        case .success(let outcome): promise.succeed(outcome)
        case .failure(let error): promise.fail(error)
        }
    }

    func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
        if !didReportConnected {
            didReportConnected = true
            connected.fail(reason.requestError)
        }
        for promise in pending.values {
            promise.fail(reason.requestError)
        }
        pending = [:]
        messages.finish()
        closed.succeed(reason)
    }
}
