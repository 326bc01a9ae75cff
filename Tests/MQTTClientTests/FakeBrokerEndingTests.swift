import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import XCTest

/// The four endings on a real socket, seen from a minimal broker stand-in that records exactly what
/// arrives: bytes, a clean EOF, or a TCP reset. Drives the handler and delegate directly, as the
/// fleet does.
final class FakeBrokerEndingTests: XCTestCase {
    /// What the fake broker saw on one connection.
    final class PeerLog: @unchecked Sendable {
        enum Event: Equatable { case bytes([UInt8]), error(String), closed }
        private let lock = NSLock()
        private var recorded: [Event] = []

        func append(_ event: Event) { lock.withLock { recorded.append(event) } }
        var events: [Event] { lock.withLock { recorded } }

        /// Everything received, concatenated.
        var received: [UInt8] {
            events.flatMap { event -> [UInt8] in
                if case .bytes(let bytes) = event { return bytes }
                return []
            }
        }

        func waitUntilClosed(seconds: Double = 5) async -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if events.contains(.closed) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
    }

    /// Answers the first CONNECT with an MQTT 5 CONNACK (success) and records the rest.
    final class FakeBrokerHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let log: PeerLog
        private var acknowledged = false

        init(log: PeerLog) { self.log = log }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            log.append(.bytes(bytes))
            if !acknowledged, bytes.first == 0x10 {
                acknowledged = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: [0x20, 0x03, 0x00, 0x00, 0x00])), promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            log.append(.error("\(error)"))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            log.append(.closed)
        }
    }

    final class Device: MQTTConnectionDelegate {
        var connected = false
        var closeReasons: [MQTTCloseReason] = []
        func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) { connected = true }
        func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) {
            closeReasons.append(reason)
        }
    }

    private let group = MultiThreadedEventLoopGroup.singleton
    private var server: (any Channel)!
    private var peer: PeerLog!
    private var peerChannel: (any Channel)?

    override func setUp() async throws {
        let log = PeerLog()
        peer = log
        let accepted = NIOLockedChannelBox()
        server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.set(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeBrokerHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        acceptedBox = accepted
    }

    private var acceptedBox: NIOLockedChannelBox!

    override func tearDown() async throws {
        try await server.close()
    }

    /// Connects a device (keep alive `keepAlive` s) to the fake broker and waits for CONNACK.
    private func connectDevice(keepAlive: UInt16 = 60) async throws -> (NIOLoopBound<MQTTConnectionHandler>, NIOLoopBound<Device>) {
        let eventLoop = group.next()
        let endpoint = MQTTEndpoint(host: "127.0.0.1", port: try XCTUnwrap(server.localAddress?.port))
        let (handler, device) = try await eventLoop.flatSubmit {
            let device = Device()
            let handler = MQTTConnectionHandler(
                configuration: MQTTConnectionConfiguration(clientIdentifier: "fake-1", keepAliveSeconds: keepAlive),
                delegate: device)
            let bound = (NIOLoopBound(handler, eventLoop: eventLoop), NIOLoopBound(device, eventLoop: eventLoop))
            return MQTTConnector.connect(handler, to: endpoint, on: eventLoop).map { _ in bound }
        }.get()
        let deadline = Date().addingTimeInterval(5)
        while try await !eventLoop.submit({ device.value.connected }).get(), Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return (handler, device)
    }

    private func closeReasons(_ device: NIOLoopBound<Device>) async throws -> [MQTTCloseReason] {
        try await device.eventLoop.submit { device.value.closeReasons }.get()
    }

    /// Waits up to five seconds for the device to hear `didClose`.
    private func awaitCloseReasons(_ device: NIOLoopBound<Device>) async throws -> [MQTTCloseReason] {
        let deadline = Date().addingTimeInterval(5)
        while try await closeReasons(device).isEmpty, Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await closeReasons(device)
    }

    private func end(_ handler: NIOLoopBound<MQTTConnectionHandler>, _ ending: MQTTEnding) async throws {
        try await handler.eventLoop.submit { handler.value.close(ending) }.get()
    }

    func testGracefulSendsDisconnectThenEOF() async throws {
        let (handler, device) = try await connectDevice()
        try await end(handler, .graceful)
        let closed = await peer.waitUntilClosed()
        XCTAssertTrue(closed)
        XCTAssertEqual(Array(peer.received.suffix(2)), [0xE0, 0x00])
        XCTAssertFalse(peer.events.contains { if case .error = $0 { return true } else { return false } })
        let reasons = try await awaitCloseReasons(device)
        XCTAssertEqual(reasons, [.ended(.graceful)])
    }

    func testGracefulWithWillSendsReasonCode4() async throws {
        let (handler, _) = try await connectDevice()
        try await end(handler, .gracefulWithWill)
        let closed = await peer.waitUntilClosed()
        XCTAssertTrue(closed)
        XCTAssertEqual(Array(peer.received.suffix(3)), [0xE0, 0x01, 0x04])
    }

    func testAbruptIsSeenAsATCPResetWithoutDisconnect() async throws {
        let (handler, device) = try await connectDevice()
        let receivedBeforeClose = peer.received
        try await end(handler, .abrupt)
        let closed = await peer.waitUntilClosed()
        XCTAssertTrue(closed)
        XCTAssertEqual(peer.received, receivedBeforeClose, "bytes were sent on an abrupt close")
        let errors = peer.events.compactMap { event -> String? in
            if case .error(let text) = event { return text } else { return nil }
        }
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.contains("reset") ?? false, "\(errors)")
        let reasons = try await awaitCloseReasons(device)
        XCTAssertEqual(reasons, [.ended(.abrupt)])
    }

    func testSilentSendsNothingAndEndsWhenThePeerCloses() async throws {
        let (handler, device) = try await connectDevice(keepAlive: 1)
        let receivedBeforeSilence = peer.received
        try await end(handler, .silent)
        // Three keep-alive intervals without a PINGREQ.
        try await Task.sleep(for: .seconds(3))
        XCTAssertEqual(peer.received, receivedBeforeSilence, "a silent connection sent bytes")
        let reasonsWhileSilent = try await closeReasons(device)
        XCTAssertEqual(reasonsWhileSilent, [])
        let peerChannel = try XCTUnwrap(acceptedBox.get())
        try await peerChannel.close()
        let reasons = try await awaitCloseReasons(device)
        XCTAssertEqual(reasons, [.ended(.silent)])
    }

    func testKeepAliveSendsPingWhenIdle() async throws {
        let (_, device) = try await connectDevice(keepAlive: 1)
        let deadline = Date().addingTimeInterval(5)
        while !peer.received.contains(0xC0), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertTrue(peer.received.contains(0xC0), "no PINGREQ")
        // The fake broker never answers: the ping timeout (= keep alive) ends the connection abruptly.
        let closed = await peer.waitUntilClosed()
        XCTAssertTrue(closed)
        let reasons = try await awaitCloseReasons(device)
        XCTAssertEqual(reasons, [.failed(.keepAliveTimeout(.seconds(1)))])
    }
}

/// The child channel the fake broker accepted, shared with the test.
final class NIOLockedChannelBox: @unchecked Sendable {
    private let lock = NSLock()
    private var channel: (any Channel)?
    func set(_ channel: any Channel) { lock.withLock { self.channel = channel } }
    func get() -> (any Channel)? { lock.withLock { channel } }
}
