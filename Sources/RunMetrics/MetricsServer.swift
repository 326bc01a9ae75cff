import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 server for Prometheus to scrape during a run: `GET /metrics` answers with the
/// exporter's registry, anything else with 404. It runs on the event loops the caller already has
/// (no thread of its own) and closes its listener and every open scrape connection on `shutdown`.
public final class MetricsServer: Sendable {
    /// Where the server actually listens (port 0 is resolved to the port the kernel chose).
    public let address: MetricsAddress
    private let listener: any Channel
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

    private init(address: MetricsAddress, listener: any Channel,
                 connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>) {
        self.address = address
        self.listener = listener
        self.connections = connections
    }

    /// Binds `address` (port 0: any free port) and starts answering scrapes of `exporter`.
    public static func start(
        exporter: MetricsExporter, at address: MetricsAddress, group: any EventLoopGroup
    ) async throws -> MetricsServer {
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLockedValue { $0.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(exporter: exporter))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        let port = listener.localAddress?.port ?? address.port
        return MetricsServer(address: MetricsAddress(host: address.host, port: port), listener: listener,
                             connections: connections)
    }

    /// Stops listening and closes the scrape connections still open (keep-alive).
    public func shutdown() async throws {
        try await listener.close()
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open {
            try? await channel.close()
        }
    }
}
