import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Where a connection goes: broker host and port, and optionally the local source address to
/// bind (e.g. 127.0.0.x, to spread many connections over several source addresses or to look like
/// distinct devices in the broker's log).
public struct MQTTEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Local IP address to bind before connecting; `nil`: chosen by the kernel.
    public var localAddress: String?
    public var connectTimeout: TimeAmount
    /// MQTT straight over TCP/TLS, or inside WebSocket frames.
    public var transport: MQTTTransport

    public init(
        host: String, port: Int, localAddress: String? = nil, connectTimeout: TimeAmount = .seconds(10),
        transport: MQTTTransport = .tcp
    ) {
        self.host = host
        self.port = port
        self.localAddress = localAddress
        self.connectTimeout = connectTimeout
        self.transport = transport
    }

    public var description: String { "\(host):\(port)" }

    /// The `Host` header of a WebSocket upgrade: the host, bracketed when IPv6, and the port.
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port)"
    }
}

/// Opens the TCP (and TLS, and WebSocket) connection for an `MQTTConnectionHandler` with a bootstrap tuned for
/// many small connections: TCP_NODELAY, small adaptive receive buffers, a connect timeout, an
/// optional source address, and a TLS context built once and shared. Memory per connection stays
/// bounded whatever the peer sends: oversized packets are never buffered whole (`MQTTFrameDecoder`)
/// and `MQTTConnectionHandler` stops reading while our writes are not draining (`writeBufferWaterMark`).
public enum MQTTConnector {
    /// Smallest, first and largest receive buffer: MQTT device traffic is a few hundred bytes at a
    /// time, and tens of thousands of connections must not each hold a large buffer.
    public static let receiveBufferSizes = (minimum: 64, initial: 512, maximum: 64 * 1024)

    /// Unsent bytes above which a connection stops reading until they fall below the low mark: a broker that
    /// floods QoS 1 PUBLISH and never reads our PUBACKs fills its own socket, not our memory. A device's own
    /// packets are small, so in normal traffic it never gets there. (Done in the connection handler rather
    /// than by NIO's `BackPressureHandler`: one handler fewer on every idle connection.)
    public static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 16 * 1024, high: 32 * 1024)

    /// Connects `handler` to `endpoint` on `eventLoop`. Must be called on `eventLoop` (the handler and
    /// its delegate live there). The future fails with an `MQTTClientError` when TCP does not come
    /// up, and the delegate hears `didClose` in every case, so it is the one place to watch.
    public static func connect(
        _ handler: MQTTConnectionHandler,
        to endpoint: MQTTEndpoint,
        tls: MQTTTLSContext? = nil,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        eventLoop.preconditionInEventLoop()
        handler.connectStarted(at: eventLoop.now)
        handler.trustedCAFiles = tls?.caFiles ?? []
        handler.awaitsTransportUpgrade = endpoint.transport.webSocket != nil
        let boundHandler = NIOLoopBound(handler, eventLoop: eventLoop)
        let maximumPacketSize = handler.configuration.inboundPacketSizeLimit
        let oversized = handler.configuration.oversizedInbound
        let serverHostname = tls.flatMap { sniName(serverName: $0.serverName, host: endpoint.host) }

        var bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(endpoint.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.writeBufferWaterMark, value: writeBufferWaterMark)
            .channelOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(
                    minimum: receiveBufferSizes.minimum, initial: receiveBufferSizes.initial,
                    maximum: receiveBufferSizes.maximum)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls.sslContext, serverHostname: serverHostname))
                    }
                    if let webSocket = endpoint.transport.webSocket {
                        try addWebSocketUpgrade(webSocket, hostHeader: endpoint.hostHeader, to: pipeline)
                    }
                    try pipeline.addHandler(ByteToMessageHandler(
                        MQTTFrameDecoder(maximumPacketSize: maximumPacketSize, oversized: oversized)))
                    try pipeline.addHandler(boundHandler.value)
                }
            }
        if let localAddress = endpoint.localAddress {
            do {
                bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0))
            } catch {
                let failure = MQTTClientError.tcpConnectFailed(
                    address: endpoint.description, reason: "invalid local address \(localAddress): \(error)")
                handler.transportFailed(failure)
                return eventLoop.makeFailedFuture(failure)
            }
        }
        // An IP literal skips the resolver and Happy Eyeballs: no lookup per connection in a big fleet.
        let connected: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: endpoint.host, port: endpoint.port)
        }
        return connected.flatMapError { error in
            let failure = MQTTClientError(connectError: error, endpoint: endpoint)
            boundHandler.value.transportFailed(failure)
            return eventLoop.makeFailedFuture(failure)
        }
    }

    /// The HTTP/1.1 codec and upgrade handler that turn the connection into a WebSocket, in front of the
    /// MQTT framer; all of it leaves the pipeline once the upgrade is done.
    private static func addWebSocketUpgrade(
        _ settings: MQTTWebSocketSettings, hostHeader: String, to pipeline: ChannelPipeline.SynchronousOperations
    ) throws {
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let upgrader = WebSocketUpgrader(settings: settings)
        let requester = WebSocketUpgradeRequester(settings: settings, hostHeader: hostHeader, upgrader: upgrader)
        let upgradeHandler = NIOHTTPClientUpgradeHandler(
            upgraders: [upgrader], httpHandlers: [encoder, decoder],
            upgradeCompletionHandler: { context in
                context.pipeline.syncOperations.removeHandler(requester, promise: nil)
            })
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(decoder)
        try pipeline.addHandler(upgradeHandler)
        try pipeline.addHandler(requester)
    }

    /// The name for SNI and hostname verification: the configured server name, else the host;
    /// never an IP address (SNI forbids it; NIOSSL then checks the certificate's IP SANs).
    static func sniName(serverName: String?, host: String) -> String? {
        let name = serverName ?? host
        let isIPAddress = (try? SocketAddress(ipAddress: name, port: 0)) != nil
        return isIPAddress ? nil : name
    }
}

extension MQTTClientError {
    /// Maps a bootstrap connect failure to a typed error naming the address.
    init(connectError error: any Error, endpoint: MQTTEndpoint) {
        let address = endpoint.description
        if case ChannelError.connectTimeout(let timeout) = error {
            self = .connectTimeout(address: address, timeout: timeout)
        } else if let connectionError = error as? NIOConnectionError {
            if let failure = connectionError.connectionErrors.first {
                self.init(connectError: failure.error, endpoint: endpoint)
            } else if let dnsError = connectionError.dnsAAAAError ?? connectionError.dnsAError {
                self = .tcpConnectFailed(address: address, reason: "name resolution failed: \(dnsError)")
            } else {
                self = .tcpConnectFailed(address: address, reason: "\(connectionError)")
            }
        } else if let ioError = error as? IOError {
            self = .tcpConnectFailed(address: address, reason: ioError.plainDescription)
        } else {
            self = .tcpConnectFailed(address: address, reason: "\(error)")
        }
    }
}
