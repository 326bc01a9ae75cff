import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// An HTTP server on loopback that gives the upgrade answers no broker at hand gives: a WebSocket server
/// that is not an MQTT one (it selects no subprotocol), or a gateway that answers every request with one status.
final class OddWebSocketServer: Sendable {
    enum Behaviour: Sendable {
        case upgradeWithoutSubprotocol
        case status(HTTPResponseStatus)
    }

    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start(_ behaviour: Behaviour) async throws -> OddWebSocketServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        shouldUpgrade: { channel, _ in
                            guard case .upgradeWithoutSubprotocol = behaviour else { return channel.eventLoop.makeSucceededFuture(nil) }
                            return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                        },
                        upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    if case .status(let status) = behaviour { try pipeline.addHandler(StatusResponder(status: status)) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return OddWebSocketServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Answers every request with `status` and a one-line body, then closes.
private final class StatusResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let status: HTTPResponseStatus

    init(status: HTTPResponseStatus) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: "gateway says \(status.code)")
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrader reports the refused upgrade as an error before passing the request on; answered above.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension StatusResponder: Sendable {}
