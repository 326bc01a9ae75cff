import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket side of the HTTP upgrade for MQTT: NIO's client upgrader makes the key and checks the
/// accept value; this one also insists on the `mqtt` subprotocol and puts the frame codec and
/// `WebSocketMQTTFraming` where the MQTT framer expects bytes — in front of it, not at the pipeline's end
/// as NIO's own upgrader does.
final class WebSocketUpgrader: NIOHTTPClientProtocolUpgrader {
    let supportedProtocol = "websocket"
    let requiredUpgradeHeaders: [String] = []

    private let keyed: NIOWebSocketClientUpgrader
    private let settings: MQTTWebSocketSettings
    /// Why `shouldAllowUpgrade` said no, for `WebSocketUpgradeRequester` to report: NIO's handler only
    /// says that it did.
    private(set) var denial: MQTTWebSocketUpgradeFailure?

    init(settings: MQTTWebSocketSettings) {
        self.settings = settings
        self.keyed = NIOWebSocketClientUpgrader(maxFrameSize: settings.maximumFrameSize, upgradePipelineHandler: { channel, _ in
            channel.eventLoop.makeSucceededVoidFuture()
        })
    }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        keyed.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
        upgradeRequestHeaders.add(name: "Sec-WebSocket-Protocol", value: MQTTWebSocketSettings.subprotocol)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        guard keyed.shouldAllowUpgrade(upgradeResponse: upgradeResponse) else {
            denial = .invalidAccept
            return false
        }
        let selected = upgradeResponse.headers["Sec-WebSocket-Protocol"].first
        guard selected.map(trimmed)?.lowercased() == MQTTWebSocketSettings.subprotocol else {
            denial = .subprotocolNotSelected(selected: selected)
            return false
        }
        return true
    }

    /// Runs with the HTTP codec removed and the upgrade handler still in place (`context` is its):
    /// the WebSocket handlers go right after it, then the MQTT handler hears that its transport is up.
    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        context.eventLoop.makeCompletedFuture {
            let pipeline = context.pipeline.syncOperations
            let framing = WebSocketMQTTFraming(closeTimeout: settings.closeTimeout)
            try pipeline.addHandler(framing, position: .after(context.handler))
            try pipeline.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: settings.maximumFrameSize)),
                position: .after(context.handler))
            try pipeline.addHandler(WebSocketFrameEncoder(), position: .after(context.handler))
            try pipeline.context(handler: framing).fireUserInboundEventTriggered(MQTTTransportReady())
        }
    }
}

/// Fired when the bytes beneath the MQTT handler are MQTT's: the WebSocket upgrade completed, so CONNECT may go.
struct MQTTTransportReady {}

/// Sends the upgrade request once TCP is up (TLS buffers it until its handshake is done), bounds the wait
/// for the answer, and turns a refusal into `MQTTClientError.webSocketUpgrade` for the MQTT handler
/// behind it. Removed from the pipeline when the upgrade succeeds.
final class WebSocketUpgradeRequester: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPClientRequestPart

    /// The most of a refusal's body kept for the error: enough for a gateway's one-line reason.
    static let bodyExcerptLimit = 256

    private let settings: MQTTWebSocketSettings
    private let hostHeader: String
    private let upgrader: WebSocketUpgrader
    private var timeout: Scheduled<Void>?
    private var refusal: HTTPResponseHead?
    private var body: [UInt8] = []
    private var failed = false

    init(settings: MQTTWebSocketSettings, hostHeader: String, upgrader: WebSocketUpgrader) {
        self.settings = settings
        self.hostHeader = hostHeader
        self.upgrader = upgrader
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            refusal = head
        case .body(let chunk):
            let room = Self.bodyExcerptLimit - body.count
            if room > 0 { body += chunk.readableBytesView.prefix(room) }
        case .end:
            guard let head = refusal else { return fail(context: context, .malformedResponse("a response with no head")) }
            let excerpt = trimmed(String(decoding: body, as: UTF8.self))
            fail(context: context, .refused(status: Int(head.status.code), reason: head.status.reasonPhrase, body: excerpt))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let upgradeError as NIOHTTPClientUpgradeError:
            switch upgradeError {
            case .upgraderDeniedUpgrade: fail(context: context, upgrader.denial ?? .invalidAccept)
            case .responseProtocolNotFound: fail(context: context, .malformedResponse("101 without `Upgrade: websocket`"))
            default: fail(context: context, .malformedResponse("\(upgradeError)"))
            }
        case let decodeError as HTTPParserError:
            fail(context: context, .malformedResponse("\(decodeError)"))
        case is IOError where refusal == nil:
            // A reset before any answer (mosquitto's MQTT listener resets on the GET) is a close before the response.
            fail(context: context, .closedBeforeResponse)
        default:
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        if !failed, refusal == nil {
            failed = true
            context.fireErrorCaught(MQTTClientError.webSocketUpgrade(.closedBeforeResponse))
        }
        context.fireChannelInactive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard timeout == nil, !failed else { return }
        var headers = HTTPHeaders([("Host", hostHeader)])
        for header in settings.headers { headers.add(name: header.name, value: header.value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: settings.path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let limit = settings.upgradeTimeout
        timeout = context.eventLoop.scheduleTask(in: limit) {
            let (requester, context) = bound.value
            requester.fail(context: context, .timedOut(milliseconds: limit.nanoseconds / 1_000_000))
        }
    }

    /// Hands the failure to the MQTT handler, which records it as the connection's end and closes.
    private func fail(context: ChannelHandlerContext, _ failure: MQTTWebSocketUpgradeFailure) {
        guard !failed else { return }
        failed = true
        timeout?.cancel()
        context.fireErrorCaught(MQTTClientError.webSocketUpgrade(failure))
    }
}

@available(*, unavailable)
extension WebSocketUpgrader: Sendable {}

@available(*, unavailable)
extension WebSocketUpgradeRequester: Sendable {}

/// `text` without leading and trailing whitespace (no Foundation in this target).
private func trimmed(_ text: String) -> String {
    let isSpace: (Character) -> Bool = { $0.isWhitespace }
    guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
        return ""
    }
    return String(text[first...last])
}
