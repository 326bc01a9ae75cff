import MQTTClient
import MQTTCore
import NIOCore

/// What a port that did not answer an mqtt:// CONNECT speaks instead: TLS (so mqtts://) or HTTP (a
/// WebSocket listener, so ws://). Asked only after such a failure, on connections of its own.
enum PortProtocol: Sendable, Hashable {
    case tls
    case http

    /// The diagnosis that replaces "closed without a CONNACK" once the port's protocol is known.
    func diagnosis(for url: BrokerURL) -> Diagnosis {
        let authority = WebSocketDiagnosis.authority(url)
        switch self {
        case .tls:
            return Diagnosis(problem: "this port speaks TLS, and mqtt:// sent CONNECT in the clear",
                             hint: "use mqtts://\(authority)")
        case .http:
            return Diagnosis(problem: "this port answers HTTP: it is a WebSocket (or web) listener, not plain MQTT",
                             hint: "use ws://\(authority)\(BrokerURL.defaultWebSocketPath) (or the broker's WebSocket path)")
        }
    }
}

extension TransportChecks {
    /// TLS if a handshake completes (the certificate is not judged here), else HTTP if a bare GET is
    /// answered with `HTTP/`, else nil.
    func portProtocol(at address: SocketAddress, host: String) async -> PortProtocol? {
        if case .success = await tls(to: address, host: host, settings: TLSSettings(verification: .none), alertWindow: .zero) {
            return .tls
        }
        return await answersHTTP(at: address, host: host) ? .http : nil
    }

    /// Sends a bare `GET /` and reads whether the answer starts with `HTTP/`.
    private func answersHTTP(at address: SocketAddress, host: String) async -> Bool {
        let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
        let expected = Array("HTTP/".utf8)
        // Made here, not in the pipeline, so a peer that answers and closes at once cannot take the answer with it.
        let answer = group.next().makePromise(of: [UInt8].self)
        do {
            let channel = try await bootstrap().channelInitializer { [timeout] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FirstBytesReader(count: expected.count, request: request, timeout: timeout, answer: answer))
                }
            }.connect(to: address).get()
            defer { channel.close(promise: nil) }
            return try await answer.futureResult.get() == expected
        } catch {
            answer.succeed([])
            return false
        }
    }
}

/// Writes `request` once connected and collects the first `count` bytes the peer sends back, or fewer
/// if it closes or `timeout` passes first.
private final class FirstBytesReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let count: Int
    private let request: ByteBuffer
    private let timeout: TimeAmount
    /// Completed once; later completions are ignored.
    private let promise: EventLoopPromise<[UInt8]>
    private var received: [UInt8] = []

    init(count: Int, request: ByteBuffer, timeout: TimeAmount, answer: EventLoopPromise<[UInt8]>) {
        self.count = count
        self.request = request
        self.timeout = timeout
        self.promise = answer
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        let promise = promise
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: timeout) { promise.succeed(bound.value.received) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += unwrapInboundIn(data).readableBytesView.prefix(count - received.count)
        if received.count >= count { promise.succeed(received) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Every way out (close, failed connect) removes the handler, so the promise is always completed.
    func handlerRemoved(context: ChannelHandlerContext) {
        promise.succeed(received)
    }
}

@available(*, unavailable)
extension FirstBytesReader: Sendable {}
