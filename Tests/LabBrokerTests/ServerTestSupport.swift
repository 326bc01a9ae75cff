import DevicePKI
import Foundation
@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import XCTest

// MARK: - Waiting with a bound

/// What arrives from a connection, collected so that a test can wait for a condition on it with a
/// deadline: the waiter is resumed by the arrival itself, the timeout only bounds the wait.
actor TestInbox<Element: Sendable> {
    private var items: [Element] = []
    private(set) var isFinished = false
    private var waiters: [UInt64: (condition: @Sendable ([Element]) -> Bool, continuation: CheckedContinuation<[Element], Never>)] = [:]
    private var nextWaiter: UInt64 = 0

    func append(_ item: Element) {
        items.append(item)
        resumeSatisfied()
    }

    func finish() {
        isFinished = true
        resumeSatisfied()
    }

    var all: [Element] { items }

    /// Returns everything received once `condition` holds, the stream finished, or `seconds` passed.
    func wait(seconds: Double = 10, until condition: @escaping @Sendable ([Element]) -> Bool) async -> [Element] {
        if condition(items) || isFinished { return items }
        nextWaiter += 1
        let id = nextWaiter
        return await withCheckedContinuation { continuation in
            waiters[id] = (condition, continuation)
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.expire(id)
            }
        }
    }

    private func expire(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: items)
    }

    private func resumeSatisfied() {
        for (id, waiter) in waiters where isFinished || waiter.condition(items) {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume(returning: items)
        }
    }
}

/// Collects an `MQTTClient`'s inbound messages.
func inbox(of client: MQTTClient) -> TestInbox<PublishPacket> {
    let inbox = TestInbox<PublishPacket>()
    Task {
        for await message in client.messages {
            await inbox.append(message)
        }
        await inbox.finish()
    }
    return inbox
}

extension TestInbox where Element == PublishPacket {
    /// Waits for `count` messages on `topic` and returns those that came.
    func messages(on topic: String, count: Int = 1, seconds: Double = 10) async -> [PublishPacket] {
        await wait(seconds: seconds) { $0.filter { $0.topic == topic }.count >= count }.filter { $0.topic == topic }
    }
}

/// Runs `body` and fails if it does not finish within `seconds`.
func within<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestTimeout(what: what, seconds: seconds)
        }
        return value
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "\(what) did not happen within \(seconds) s" }
}

// MARK: - Servers and clients

extension LabBrokerServer {
    /// The first listener of `transport`.
    nonisolated func listener(_ transport: ConnectionFacts.Transport) throws -> BoundListener {
        try XCTUnwrap(listeners.first { $0.transport == transport }, "no \(transport) listener")
    }

    nonisolated func endpoint(_ transport: ConnectionFacts.Transport) throws -> MQTTEndpoint {
        let listener = try listener(transport)
        return MQTTEndpoint(host: listener.host, port: listener.port, connectTimeout: .seconds(5))
    }
}

/// Starts a server for the test and shuts it down when the test ends.
func startServer(
    _ test: XCTestCase, profile: BrokerProfile = BrokerProfile(), listeners: [ListenerConfiguration] = [.tcp()]
) async throws -> LabBrokerServer {
    let server = try await LabBrokerServer.start(profile: profile, listeners: listeners)
    test.addTeardownBlock { try? await server.shutdown() }
    return server
}

func configuration(
    _ clientID: String, version: MQTTProtocolVersion = .v5_0, username: String? = nil, will: Will? = nil
) -> MQTTConnectionConfiguration {
    var configuration = MQTTConnectionConfiguration(
        version: version, clientIdentifier: clientID, keepAliveSeconds: 60, will: will)
    configuration.username = username
    configuration.connAckTimeout = .seconds(5)
    return configuration
}

// MARK: - PKI

/// A fresh CA, a server identity for 127.0.0.1 and device identities, in a folder removed after the test.
struct TestPKI {
    let directory: String
    let server: ServerIdentityFiles
    let store: DeviceIdentityStore

    static func make(_ test: XCTestCase, devices: [String] = []) async throws -> TestPKI {
        let directory = NSTemporaryDirectory() + "labbroker-server-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthoritySetup.create(CertificateAuthorityOptions(directory: directory))
        let server = try ServerIdentityIssuer.issue(ServerIdentityOptions(directory: directory, hosts: ["127.0.0.1", "localhost"]))
        if !devices.isEmpty {
            try await DeviceIdentityIssuer.issue(IssueRequest(directory: directory, clientIDs: .list(devices)))
        }
        return TestPKI(directory: directory, server: server, store: DeviceIdentityStore(directory: directory))
    }

    var root: String { server.trustedRoot }
    var identity: TLSServerIdentity { TLSServerIdentity(certificateChainPath: server.chain, privateKeyPath: server.key) }

    /// Trust the test root; present `device`'s chain and key when given.
    func clientSettings(device: String? = nil) throws -> TLSSettings {
        guard let device else { return TLSSettings(caFiles: [root]) }
        let files = try store.identity(forClientID: device)
        return TLSSettings(caFiles: [root], certificateChainFile: files.chainPath, privateKeyFile: files.keyPath)
    }
}

// MARK: - A raw TCP client for byte-level checks

/// A plain TCP connection that records every byte received and the close.
final class RawClient: Sendable {
    enum Event: Sendable {
        case bytes(ByteBuffer)
        case closed
    }

    let channel: any Channel
    let events: TestInbox<Event>

    private init(channel: any Channel, events: TestInbox<Event>) {
        self.channel = channel
        self.events = events
    }

    static func connect(host: String = "127.0.0.1", port: Int, tls: NIOSSLContext? = nil) async throws -> RawClient {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let events = TestInbox<Event>()
        Task {
            for await event in stream { await events.append(event) }
            await events.finish()
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(Recorder(continuation))
                }
            }
            .connect(host: host, port: port).get()
        return RawClient(channel: channel, events: events)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func send(_ packet: MQTTPacket, version: MQTTProtocolVersion = .v5_0) async throws {
        var buffer = ByteBuffer()
        try packet.write(to: &buffer, version: version)
        try await channel.writeAndFlush(buffer)
    }

    /// Everything received until the server closed the connection (or `seconds` passed).
    func bytesUntilClosed(seconds: Double = 10) async -> (bytes: ByteBuffer, closed: Bool) {
        let events = await events.wait(seconds: seconds) { $0.contains { if case .closed = $0 { true } else { false } } }
        var bytes = ByteBuffer()
        var closed = false
        for event in events {
            switch event {
            case .bytes(var chunk): bytes.writeBuffer(&chunk)
            case .closed: closed = true
            }
        }
        return (bytes, closed)
    }

    /// The MQTT packets received so far once `condition` holds on them (or `seconds` passed).
    func packets(
        version: MQTTProtocolVersion = .v5_0, seconds: Double = 10,
        until condition: @escaping @Sendable ([MQTTPacket]) -> Bool
    ) async -> [MQTTPacket] {
        let events = await events.wait(seconds: seconds) { condition(decodePackets(Self.bytes(in: $0), version: version)) }
        return decodePackets(Self.bytes(in: events), version: version)
    }

    private static func bytes(in events: [Event]) -> ByteBuffer {
        var bytes = ByteBuffer()
        for case .bytes(var chunk) in events {
            bytes.writeBuffer(&chunk)
        }
        return bytes
    }

    /// Yields in arrival order into a stream that one task drains into the inbox.
    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let events: AsyncStream<Event>.Continuation
        init(_ events: AsyncStream<Event>.Continuation) { self.events = events }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            events.yield(.bytes(unwrapInboundIn(data)))
        }

        func channelInactive(context: ChannelHandlerContext) {
            events.yield(.closed)
            events.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// Every complete MQTT packet in `bytes`, in order; stops at the first incomplete or undecodable one.
func decodePackets(_ bytes: ByteBuffer, version: MQTTProtocolVersion) -> [MQTTPacket] {
    var bytes = bytes
    var packets: [MQTTPacket] = []
    while let frame = try? MQTTFrame.read(from: &bytes, maximumPacketSize: 1 << 28),
        let packet = try? MQTTPacket(frame: frame, version: version)
    {
        packets.append(packet)
    }
    return packets
}

// MARK: - A minimal WebSocket client

/// A WebSocket client on NIO's client upgrader that speaks MQTT in binary frames (masked, as RFC 6455
/// requires of clients) and records every frame and packet it receives.
final class WebSocketClient: Sendable {
    enum Event: Sendable {
        case packet(MQTTPacket)
        /// A non-binary frame: close, pong, text.
        case frame(WebSocketFrame)
        case closed
    }

    enum Failure: Error, Equatable {
        /// The server answered the upgrade request with this HTTP status instead of 101.
        case refused(HTTPResponseStatus)
    }

    let channel: any Channel
    let events: TestInbox<Event>
    /// The server's 101 response.
    let upgradeResponse: HTTPResponseHead
    let version: MQTTProtocolVersion

    private init(channel: any Channel, events: TestInbox<Event>, upgradeResponse: HTTPResponseHead, version: MQTTProtocolVersion) {
        self.channel = channel
        self.events = events
        self.upgradeResponse = upgradeResponse
        self.version = version
    }

    static func connect(
        to listener: BoundListener, path: String? = nil, subprotocols: [String] = ["mqtt"], tls: NIOSSLContext? = nil,
        version: MQTTProtocolVersion = .v5_0
    ) async throws -> WebSocketClient {
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self)
        let events = TestInbox<Event>()
        Task {
            for await event in stream { await events.append(event) }
            await events.finish()
        }
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let upgraded = eventLoop.makePromise(of: HTTPResponseHead.self)
        let requestPath = path ?? listener.path ?? "/mqtt"
        let host = "\(listener.host):\(listener.port)"
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil))
                    }
                    let requester = UpgradeRequester(
                        path: requestPath, host: host, subprotocols: subprotocols, upgraded: upgraded)
                    let boundRequester = NIOLoopBound(requester, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: false) {
                        channel, response in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FrameRecorder(continuation, version: version))
                            upgraded.succeed(response)
                        }
                    }
                    try pipeline.addHTTPClientHandlers(
                        withClientUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(boundRequester.value, promise: nil)
                            }
                        ))
                    try pipeline.addHandler(requester)
                }
            }
            .connect(host: listener.host, port: listener.port).get()
        channel.closeFuture.whenComplete { _ in upgraded.fail(ChannelError.ioOnClosedChannel) }
        do {
            let response = try await upgraded.futureResult.get()
            return WebSocketClient(channel: channel, events: events, upgradeResponse: response, version: version)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Sends one frame as given (tests choose mask, opcode and fin).
    func send(_ frame: WebSocketFrame) async throws {
        try await channel.writeAndFlush(frame)
    }

    /// Sends `bytes` in one masked binary frame.
    func sendBinary(_ bytes: ByteBuffer, fin: Bool = true, opcode: WebSocketOpcode = .binary) async throws {
        try await send(WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: bytes))
    }

    /// Encodes `packets` and sends them in one masked binary frame.
    func send(_ packets: MQTTPacket...) async throws {
        try await sendBinary(encode(packets, version: version))
    }

    /// The MQTT packets received so far once `condition` holds on them (or `seconds` passed).
    func packets(seconds: Double = 10, until condition: @escaping @Sendable ([MQTTPacket]) -> Bool) async -> [MQTTPacket] {
        let events = await events.wait(seconds: seconds) { condition(Self.packets(in: $0)) }
        return Self.packets(in: events)
    }

    /// Every event once the connection closed (or `seconds` passed).
    func eventsUntilClosed(seconds: Double = 10) async -> [Event] {
        await events.wait(seconds: seconds) { $0.contains { if case .closed = $0 { true } else { false } } }
    }

    private static func packets(in events: [Event]) -> [MQTTPacket] {
        events.compactMap { if case .packet(let packet) = $0 { packet } else { nil } }
    }

    /// Sends the upgrade request once connected, and reports a non-101 answer.
    private final class UpgradeRequester: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let path: String
        let host: String
        let subprotocols: [String]
        let upgraded: EventLoopPromise<HTTPResponseHead>

        init(path: String, host: String, subprotocols: [String], upgraded: EventLoopPromise<HTTPResponseHead>) {
            self.path = path
            self.host = host
            self.subprotocols = subprotocols
            self.upgraded = upgraded
        }

        func channelActive(context: ChannelHandlerContext) {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "Host", value: host)
            if !subprotocols.isEmpty {
                head.headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", "))
            }
            head.headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let response) = unwrapInboundIn(data) {
                upgraded.fail(Failure.refused(response.status))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // The client upgrader reports a refused upgrade as an error; the response head says why.
        }
    }

    /// Decodes binary frames as one MQTT byte stream; records other frames as they are.
    private final class FrameRecorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame

        let events: AsyncStream<Event>.Continuation
        let version: MQTTProtocolVersion
        var stream = ByteBuffer()

        init(_ events: AsyncStream<Event>.Continuation, version: MQTTProtocolVersion) {
            self.events = events
            self.version = version
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            guard frame.opcode == .binary || frame.opcode == .continuation else {
                events.yield(.frame(frame))
                return
            }
            var payload = frame.unmaskedData
            stream.writeBuffer(&payload)
            while let next = try? MQTTFrame.read(from: &stream, maximumPacketSize: 1 << 28) {
                if let packet = try? MQTTPacket(frame: next, version: version) {
                    events.yield(.packet(packet))
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            events.yield(.closed)
            events.finish()
        }
    }
}

func encode(_ packets: [MQTTPacket], version: MQTTProtocolVersion) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    for packet in packets {
        try packet.write(to: &buffer, version: version)
    }
    return buffer
}

extension ByteBuffer {
    /// The readable bytes as UTF-8 text.
    var utf8Text: String { String(buffer: self) }
}
