import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// Which HTTP requests a WebSocket listener upgrades: a GET on its path that offers the `mqtt`
/// subprotocol (MQTT 5.0 §6: the client MUST include it; the server echoes it). Everything else is
/// answered with an HTTP error and the connection is closed:
/// - another path: 404 Not Found;
/// - the right path without a WebSocket upgrade, or without `mqtt` among the offered subprotocols (a
///   browser client that forgot it): 400 Bad Request, with a one-line body saying which.
enum WebSocketHandshake {
    static let subprotocol = "mqtt"

    /// Why `request` is not upgraded; nil when it is acceptable.
    static func refusal(of request: HTTPRequestHead, path: String) -> (status: HTTPResponseStatus, reason: String)? {
        let requestPath = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard requestPath == path else {
            return (.notFound, "no WebSocket endpoint at \(requestPath); MQTT is served at \(path)")
        }
        guard request.method == .GET,
            request.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" })
        else {
            return (.badRequest, "expected a WebSocket upgrade (GET with Upgrade: websocket)")
        }
        let offered = request.headers[canonicalForm: "sec-websocket-protocol"]
        guard offered.contains(where: { $0.lowercased() == subprotocol }) else {
            return (.badRequest, "the Sec-WebSocket-Protocol header must offer \"\(subprotocol)\"")
        }
        return nil
    }

    /// Adds the HTTP server pipeline with the WebSocket upgrader to a freshly accepted channel; once
    /// upgraded, the channel carries `WebSocketMQTTAdapter` then `connection`.
    static func configure(
        _ channel: any Channel, path: String, maximumFrameSize: Int, connection: ServerConnectionHandler,
        core: ServerCore
    ) throws {
        let upgraded = NIOLoopBound(connection, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maximumFrameSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, request in
                guard refusal(of: request, path: path) == nil else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", subprotocol)]))
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(WebSocketMQTTAdapter(), upgraded.value)
                }
            })
        let refusals = WebSocketUpgradeRefusal(path: path, core: core)
        let boundRefusals = NIOLoopBound(refusals, eventLoop: channel.eventLoop)
        let pipeline = channel.pipeline.syncOperations
        try pipeline.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // Frames follow the upgrade; the HTTP refusal handler must not see them.
                    context.pipeline.syncOperations.removeHandler(boundRefusals.value, promise: nil)
                }
            ),
            withErrorHandling: true)
        try pipeline.addHandler(refusals)
    }
}

/// Answers an HTTP request on a WebSocket listener that was not upgraded, then closes the connection.
final class WebSocketUpgradeRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let path: String
    private let core: ServerCore
    private var refusal: (status: HTTPResponseStatus, reason: String)?

    init(path: String, core: ServerCore) {
        self.path = path
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            // An acceptable-looking request that still reached us failed the upgrader's own checks
            // (Sec-WebSocket-Key missing, version not 13).
            refusal = WebSocketHandshake.refusal(of: request, path: path)
                ?? (.badRequest, "invalid WebSocket handshake (Sec-WebSocket-Key and Sec-WebSocket-Version: 13 required)")
        case .body:
            break
        case .end:
            guard let refusal else { return }
            self.refusal = nil
            respond(context: context, status: refusal.status, reason: refusal.reason)
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, reason: String) {
        core.count { $0.webSocketUpgradesRefused += 1 }
        var body = context.channel.allocator.buffer(capacity: reason.utf8.count + 1)
        body.writeString(reason + "\n")
        var head = HTTPResponseHead(version: .http1_1, status: status)
        head.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrader reports a refused upgrade as an error before passing the request on; we answer it.
        if error is NIOWebSocketUpgradeError { return }
        if error is NIOSSLError || error is BoringSSLError {
            core.count { $0.tlsHandshakesFailed += 1 }
        }
        context.close(promise: nil)
    }
}
