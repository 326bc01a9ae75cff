import NIOCore
import NIOHTTP1

/// Answers one HTTP/1.1 connection's requests: `GET /metrics` (and `HEAD`) with the exporter's
/// text exposition, 405 for other methods on `/metrics`, 404 for any other path. Keeps the
/// connection open when the client asks to, as Prometheus scrapers do.
final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The content type Prometheus expects for the text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let exporter: MetricsExporter
    private var request: HTTPRequestHead?

    init(exporter: MetricsExporter) {
        self.exporter = exporter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var body: ByteBuffer
        var headers = HTTPHeaders()
        if path != "/metrics" {
            status = .notFound
            body = context.channel.allocator.buffer(string: "not found; metrics are at /metrics\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        } else if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body = context.channel.allocator.buffer(string: "only GET and HEAD\n")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Allow", value: "GET, HEAD")
        } else {
            status = .ok
            body = context.channel.allocator.buffer(bytes: exporter.exposition())
            headers.add(name: "Content-Type", value: Self.contentType)
        }
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        if head.method == .HEAD { body.clear() }

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in loopBoundContext.value.close(promise: nil) }
        }
    }
}
