import NIOCore
import NIOPosix

/// A plain TCP client that writes HTTP/1.1 requests as text and reads the raw bytes back, so the
/// tests see exactly what a scraper would (no HTTP library in between to hide mistakes).
final class RawHTTPClient: Sendable {
    private let channel: any Channel
    private let collector: NIOLoopBound<ResponseCollector>

    private init(channel: any Channel, collector: NIOLoopBound<ResponseCollector>) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int, group: any EventLoopGroup) async throws -> RawHTTPClient {
        let loop = group.next()
        let collector = try await loop.submit { NIOLoopBound(ResponseCollector(loop: loop), eventLoop: loop) }.get()
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(collector.value)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawHTTPClient(channel: channel, collector: collector)
    }

    /// Sends a request (or several, pipelined), returns the whole reply once the server closes.
    static func exchange(_ request: String, port: Int, group: any EventLoopGroup) async throws -> String {
        let client = try await connect(port: port, group: group)
        try await client.send(request)
        return try await client.closed()
    }

    /// Splits one response into head and body at the blank line.
    static func split(_ response: String) -> (head: String, body: String) {
        guard let blank = response.range(of: "\r\n\r\n") else { return (response, "") }
        return (String(response[..<blank.lowerBound]), String(response[blank.upperBound...]))
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(string: text))
    }

    /// The first `count` complete responses (framed by Content-Length).
    func responses(_ count: Int) async throws -> [String] {
        try await channel.eventLoop.flatSubmit { [collector] in collector.value.responses(count) }.get()
    }

    /// Everything received, once the server has closed the connection.
    func closed() async throws -> String {
        try await channel.eventLoop.flatSubmit { [collector] in collector.value.closed.futureResult }.get()
    }
}

/// Collects the bytes of one connection on its event loop.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let closed: EventLoopPromise<String>
    private var received = ""
    private var waiters: [(count: Int, promise: EventLoopPromise<[String]>)] = []

    init(loop: any EventLoop) {
        closed = loop.makePromise()
    }

    func responses(_ count: Int) -> EventLoopFuture<[String]> {
        let promise = closed.futureResult.eventLoop.makePromise(of: [String].self)
        waiters.append((count, promise))
        check()
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readString(length: buffer.readableBytes) ?? ""
        check()
    }

    func channelInactive(context: ChannelHandlerContext) {
        for waiter in waiters { waiter.promise.fail(ChannelError.eof) }
        waiters = []
        closed.succeed(received)
    }

    private func check() {
        let complete = Self.completeResponses(received)
        waiters.removeAll { waiter in
            guard complete.count >= waiter.count else { return false }
            waiter.promise.succeed(Array(complete.prefix(waiter.count)))
            return true
        }
    }

    /// Responses whose head and Content-Length body have fully arrived.
    static func completeResponses(_ text: String) -> [String] {
        var responses: [String] = []
        var rest = Substring(text)
        while let blank = rest.range(of: "\r\n\r\n") {
            let head = rest[..<blank.lowerBound]
            let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            let length = lengthLine.flatMap { Int($0.split(separator: ":")[1].filter { $0 != " " }) } ?? 0
            let body = rest[blank.upperBound...]
            guard body.utf8.count >= length else { break }
            let end = body.utf8.index(body.startIndex, offsetBy: length)
            responses.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return responses
    }
}
