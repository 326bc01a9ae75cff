import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL

/// The lab broker on the network: one `BrokerEngine` and every connection of every listener on ONE
/// event loop, so routing a message from one connection to another never crosses threads.
///
/// An actor, because its surface is the control plane — start, statistics, an operator's publish,
/// shutdown — called rarely from async code: the actor serialises shutdown (idempotent, concurrent
/// callers wait for the same one) without a lock. Nothing on the hot path touches it; packets go
/// through `ServerCore` on the event loop.
///
/// Call `shutdown()` when done: it closes the listeners and the connections (clients see EOF), cancels
/// the timer and, when the server made its own event loop, shuts that down.
public actor LabBrokerServer {
    public nonisolated let profile: BrokerProfile
    /// The listeners as opened, in the order given, with the ports the kernel chose for port 0.
    public nonisolated let listeners: [BoundListener]
    /// The loop the engine and every connection run on.
    public nonisolated let eventLoop: any EventLoop
    /// The engine and the connections; only ever touched on `eventLoop` (extensions reach it with `submit`).
    let core: NIOLoopBound<ServerCore>
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private var shutdownTask: Task<Void, any Error>?
    /// Shutdown has begun: the server's own loop may be gone, and a task submitted to a loop that has shut
    /// down is dropped without completing, so nothing may be submitted any more.
    var isShuttingDown: Bool { shutdownTask != nil }
    /// The counters as they were when shutdown finished (the loop may be gone afterwards).
    private var finalStatistics: (engine: BrokerStatistics, transport: TransportStatistics)?

    /// Listen backlog: hundreds of devices connecting at once must not overflow it (a dropped SYN costs
    /// the client a one-second retransmission). The kernel caps it at `net.core.somaxconn`.
    static let listenBacklog: Int32 = 4096
    /// Receive buffers start small and adapt: device traffic is a few hundred bytes at a time. NIO keeps a
    /// channel's last receive buffer while it is idle, so the initial size is what an idle device costs
    /// (BENCHMARKS.md: 512 → 64 bytes saved 0.45 KiB per connection).
    static let receiveBufferSizes = (minimum: 64, initial: 64, maximum: 64 << 10)

    private init(
        profile: BrokerProfile, listeners: [BoundListener], eventLoop: any EventLoop, core: NIOLoopBound<ServerCore>,
        ownedGroup: MultiThreadedEventLoopGroup?
    ) {
        self.profile = profile
        self.listeners = listeners
        self.eventLoop = eventLoop
        self.core = core
        self.ownedGroup = ownedGroup
    }

    /// Opens `listeners` (all of them or none) and starts the engine for `profile`.
    ///
    /// With `group`, the server runs on `group.next()` and leaves the group running at shutdown;
    /// without, it makes a one-thread group of its own and shuts it down with itself.
    public static func start(
        profile: BrokerProfile, listeners configurations: [ListenerConfiguration], group: (any EventLoopGroup)? = nil
    ) async throws -> LabBrokerServer {
        for configuration in configurations {
            if profile.requiresTLS && configuration.tls == nil {
                throw LabBrokerServerError.plainListenerRefused(
                    profile: profile.name, listener: BoundListener(configuration, port: configuration.port).url)
            }
            if let path = configuration.webSocketPath, !path.hasPrefix("/") {
                throw LabBrokerServerError.invalidWebSocketPath(path)
            }
        }
        let contexts = try configurations.map { configuration in
            try configuration.tls.map { try ServerTLSContext.make(identity: $0.identity, clientCertificates: $0.clientCertificates) }
        }

        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let eventLoop = (group ?? ownedGroup!).next()
        let core = try await eventLoop.submit {
            NIOLoopBound(ServerCore(engine: BrokerEngine(profile: profile), eventLoop: eventLoop), eventLoop: eventLoop)
        }.get()

        var bound: [BoundListener] = []
        var channels: [any Channel] = []
        do {
            for (configuration, context) in zip(configurations, contexts) {
                let channel = try await bind(configuration, tls: context, core: core, on: eventLoop)
                channels.append(channel)
                bound.append(BoundListener(configuration, port: channel.localAddress?.port ?? configuration.port))
            }
        } catch {
            for channel in channels {
                try? await channel.close()
            }
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
        try await eventLoop.submit { [channels] in
            for channel in channels { core.value.listening(on: channel) }
        }.get()
        return LabBrokerServer(
            profile: profile, listeners: bound, eventLoop: eventLoop, core: core, ownedGroup: ownedGroup)
    }

    private static func bind(
        _ configuration: ListenerConfiguration, tls: NIOSSLContext?, core: NIOLoopBound<ServerCore>, on eventLoop: any EventLoop
    ) async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: eventLoop, childGroup: eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: listenBacklog)
            // Accept up to this many connections per wake-up when a crowd connects at once.
            .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: 64)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // A few reads per connection per loop turn keep one busy client from starving the others.
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 4)
            .childChannelOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(
                    minimum: receiveBufferSizes.minimum, initial: receiveBufferSizes.initial,
                    maximum: receiveBufferSizes.maximum))
            .childChannelOption(
                ChannelOptions.writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(
                    low: OutboundBacklog.lowWaterMark, high: OutboundBacklog.highWaterMark))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try initialize(channel, configuration: configuration, tls: tls, core: core.value)
                }
            }
        do {
            return try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw LabBrokerServerError.bindFailed(
                listener: BoundListener(configuration, port: configuration.port).url, reason: "\(error)")
        }
    }

    /// Builds an accepted channel's pipeline: [TLS] MQTT, or [TLS] HTTP → (upgrade) WebSocket → MQTT.
    private static func initialize(
        _ channel: any Channel, configuration: ListenerConfiguration, tls: NIOSSLContext?, core: ServerCore
    ) throws {
        guard let connection = core.makeConnection(for: channel, transport: configuration.transport) else { return }
        let pipeline = channel.pipeline.syncOperations
        if let tls {
            try pipeline.addHandler(NIOSSLServerHandler(context: tls))
        }
        if let path = configuration.webSocketPath {
            try WebSocketHandshake.configure(
                channel, path: path, maximumFrameSize: core.maximumPacketSize, connection: connection, core: core)
            core.register(connection, handlerIsInPipeline: false)
        } else {
            try pipeline.addHandler(connection)
            core.register(connection, handlerIsInPipeline: true)
        }
    }

    /// The engine's counters (connections, sessions, subscriptions, messages).
    public func statistics() async -> BrokerStatistics {
        if let finalStatistics { return finalStatistics.engine }
        return (try? await eventLoop.submit { [core] in core.value.engine.statistics }.get()) ?? BrokerStatistics()
    }

    /// What the transports counted: accepted connections, dropped QoS 0 deliveries, refused handshakes.
    public func transportStatistics() async -> TransportStatistics {
        if let finalStatistics { return finalStatistics.transport }
        return (try? await eventLoop.submit { [core] in core.value.statistics }.get()) ?? TransportStatistics()
    }

    /// Routes `message` to its subscribers as if a client had published it (an operator's injection).
    /// Does nothing once shutdown has begun.
    public func publish(_ message: PublishPacket) async {
        guard shutdownTask == nil else { return }
        try? await eventLoop.submit { [core] in core.value.publishFromServer(message) }.get()
    }

    /// Closes the listeners and every connection, then stops the server's own event loop if it has one.
    /// Idempotent: a second call waits for the first.
    public func shutdown() async throws {
        if let shutdownTask {
            return try await shutdownTask.value
        }
        let task = Task { [eventLoop, core, ownedGroup] in
            let statistics = try await eventLoop.flatSubmit {
                let server = core.value
                return server.shutdown().assumeIsolated().map { _ in
                    (engine: server.engine.statistics, transport: server.statistics)
                }.nonisolated()
            }.get()
            self.finalStatistics = statistics
            try await ownedGroup?.shutdownGracefully()
        }
        shutdownTask = task
        try await task.value
    }
}

extension BoundListener {
    init(_ configuration: ListenerConfiguration, port: Int) {
        self.init(transport: configuration.transport, host: configuration.host, port: port, path: configuration.webSocketPath)
    }
}
