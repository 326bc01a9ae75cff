import MQTTClient
import MQTTCore
import NIOCore
import NIOEmbedded
import XCTest

/// The handler on an EmbeddedChannel: bytes in, bytes out, virtual time for the timer.
final class ConnectionHandlerTests: XCTestCase {
    final class RecordingDelegate: MQTTConnectionDelegate {
        var connected: [MQTTConnAckInfo] = []
        var received: [PublishPacket] = []
        var completed: [(MQTTRequestID, Result<MQTTRequestOutcome, MQTTClientError>)] = []
        var closed: [MQTTCloseReason] = []

        func connection(_ connection: MQTTConnectionHandler, didConnect info: MQTTConnAckInfo) { connected.append(info) }
        func connection(_ connection: MQTTConnectionHandler, didReceive publish: PublishPacket) { received.append(publish) }
        func connection(
            _ connection: MQTTConnectionHandler, didComplete request: MQTTRequestID,
            result: Result<MQTTRequestOutcome, MQTTClientError>
        ) { completed.append((request, result)) }
        func connection(_ connection: MQTTConnectionHandler, didClose reason: MQTTCloseReason) { closed.append(reason) }
    }

    private var channel: EmbeddedChannel!
    private var handler: MQTTConnectionHandler!
    private var delegate: RecordingDelegate!
    private var version: MQTTProtocolVersion = .v5_0

    private func makeChannel(
        version: MQTTProtocolVersion = .v5_0, maximumPacketSize: Int = 1 << 20,
        configure: (inout MQTTConnectionConfiguration) -> Void = { _ in }
    ) throws {
        self.version = version
        var configuration = MQTTConnectionConfiguration(version: version, clientIdentifier: "device-0001", keepAliveSeconds: 10)
        configure(&configuration)
        delegate = RecordingDelegate()
        handler = MQTTConnectionHandler(configuration: configuration, delegate: delegate)
        channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(MQTTFrameDecoder(maximumPacketSize: maximumPacketSize)))
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    private func activate() throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
    }

    /// The next packet the handler wrote, decoded.
    private func written() throws -> MQTTPacket? {
        guard var buffer = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        let packet = try MQTTPacket.read(from: &buffer, version: version, maximumPacketSize: Int.max)
        XCTAssertEqual(buffer.readableBytes, 0, "more than one packet in one write")
        return packet
    }

    private func serverSends(_ packet: MQTTPacket) throws {
        var buffer = ByteBuffer()
        try packet.write(to: &buffer, version: version)
        try channel.writeInbound(buffer)
    }

    private func connect(_ connAck: ConnAckPacket = ConnAckPacket()) throws {
        try activate()
        guard case .connect? = try written() else { return XCTFail("no CONNECT") }
        try serverSends(.connack(connAck))
    }

    func testConnectWritesConnectAndReportsConnAck() throws {
        try makeChannel()
        try activate()
        guard case .connect(let connect)? = try written() else { return XCTFail("no CONNECT") }
        XCTAssertEqual(connect.clientIdentifier, "device-0001")
        XCTAssertEqual(connect.keepAliveSeconds, 10)
        XCTAssertEqual(handler.phase, .awaitingConnAck)
        try serverSends(.connack(ConnAckPacket(properties: [.assignedClientIdentifier("x")])))
        XCTAssertEqual(delegate.connected.map(\.clientIdentifier), ["x"])
        XCTAssertEqual(handler.connAckInfo?.clientIdentifier, "x")
        XCTAssertNotNil(handler.timings.tcpConnected)
        XCTAssertNotNil(handler.timings.connAckReceived)
        XCTAssertNil(handler.timings.tlsHandshakeCompleted)
    }

    func testConnAckSplitAcrossReadsIsReassembled() throws {
        try makeChannel()
        try activate()
        _ = try written()
        var buffer = ByteBuffer()
        try MQTTPacket.connack(ConnAckPacket(properties: [.receiveMaximum(5)])).write(to: &buffer, version: .v5_0)
        let head = try XCTUnwrap(buffer.readSlice(length: 2))
        try channel.writeInbound(head)
        XCTAssertTrue(delegate.connected.isEmpty)
        try channel.writeInbound(buffer)
        XCTAssertEqual(delegate.connected.map(\.receiveMaximum), [5])
    }

    func testKeepAlivePingAndPingTimeoutOnVirtualTime() throws {
        try makeChannel { $0.pingTimeout = .seconds(2) }
        try connect()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try written(), .pingreq)
        try serverSends(.pingresp)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try written(), .pingreq)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(delegate.closed, [.failed(.keepAliveTimeout(.seconds(2)))])
        XCTAssertEqual(handler.closeReason, .failed(.keepAliveTimeout(.seconds(2))))
    }

    func testPublishCompletesThroughTheDelegate() throws {
        try makeChannel()
        try connect()
        let request = try XCTUnwrap(
            try handler.publish(MQTTMessage(topic: "devices/a", payload: ByteBuffer(string: "1"), qos: .atLeastOnce)))
        guard case .publish(let publish)? = try written() else { return XCTFail("no PUBLISH") }
        XCTAssertTrue(delegate.completed.isEmpty)
        try serverSends(.puback(PublishAckPacket(packetIdentifier: try XCTUnwrap(publish.packetIdentifier))))
        XCTAssertEqual(delegate.completed.map(\.0), [request])
        XCTAssertEqual(try delegate.completed.first?.1.get(), .published(.success))
    }

    func testInboundQoS1IsAcknowledgedAndDelivered() throws {
        try makeChannel()
        try connect()
        let message = PublishPacket(
            topic: "devices/a/config", payload: ByteBuffer(string: "on"), qos: .atLeastOnce, packetIdentifier: 3)
        try serverSends(.publish(message))
        XCTAssertEqual(try written(), .puback(PublishAckPacket(packetIdentifier: 3)))
        XCTAssertEqual(delegate.received, [message])
    }

    func testGracefulCloseWritesDisconnectThenCloses() throws {
        try makeChannel()
        try connect()
        handler.close(.graceful)
        XCTAssertEqual(try written(), .disconnect(DisconnectPacket(reasonCode: .normalDisconnection)))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(delegate.closed, [.ended(.graceful)])
    }

    func testAbruptCloseWritesNothing() throws {
        try makeChannel()
        try connect()
        handler.close(.abrupt)
        XCTAssertNil(try written())
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(delegate.closed, [.ended(.abrupt)])
    }

    func testSilentStopsReadingAndPinging() throws {
        try makeChannel()
        try connect()
        handler.close(.silent)
        let autoReadOff = channel.options.contains { option, value in
            option is ChannelOptions.Types.AutoReadOption && (value as? Bool) == false
        }
        XCTAssertTrue(autoReadOff, "autoRead was not turned off")
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        XCTAssertNil(try written())
        XCTAssertTrue(channel.isActive)
        XCTAssertTrue(delegate.closed.isEmpty)
        // The broker's keep-alive timeout closes it.
        try channel.close().wait()
        XCTAssertEqual(delegate.closed, [.ended(.silent)])
    }

    func testHostileBytesEndTheConnectionWithATypedError() throws {
        try makeChannel()
        try connect()
        // PUBLISH with a five-byte remaining length.
        try channel.writeInbound(ByteBuffer(bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]))
        XCTAssertEqual(try written(), .disconnect(DisconnectPacket(reasonCode: .malformedPacket)))
        XCTAssertFalse(channel.isActive)
        guard case .failed(.protocolViolation(let violation))? = delegate.closed.first else {
            return XCTFail("\(delegate.closed)")
        }
        XCTAssertEqual(violation.decodeError?.kind, .variableByteIntegerTooLong)
    }

    func testInboundPacketAboveOurMaximumIsRefusedWithPacketTooLarge() throws {
        try makeChannel(maximumPacketSize: 64)
        try connect()
        let large = PublishPacket(topic: "devices/a", payload: ByteBuffer(repeating: 0x41, count: 200))
        var buffer = ByteBuffer()
        try MQTTPacket.publish(large).write(to: &buffer, version: .v5_0)
        try channel.writeInbound(buffer.getSlice(at: 0, length: 4)!)
        XCTAssertEqual(try written(), .disconnect(DisconnectPacket(reasonCode: .packetTooLarge)))
        XCTAssertEqual(delegate.closed.count, 1)
        XCTAssertTrue(delegate.received.isEmpty)
    }

    func testPendingRequestsFailWhenThePeerCloses() throws {
        try makeChannel()
        try connect()
        let request = try handler.subscribe([Subscription(filter: "devices/+/config")])
        channel.pipeline.fireChannelInactive()
        XCTAssertEqual(delegate.completed.map(\.0), [request])
        XCTAssertThrowsError(try delegate.completed.first?.1.get()) {
            XCTAssertEqual($0 as? MQTTClientError, .closedByPeer)
        }
        XCTAssertEqual(delegate.closed, [.failed(.closedByPeer)])
    }

    func testUnencodablePublishFailsOnlyThatRequest() throws {
        try makeChannel()
        try connect()
        // Session Expiry Interval is not a PUBLISH property: the encoder refuses it.
        let invalid = MQTTMessage(
            topic: "devices/a", payload: ByteBuffer(), qos: .atLeastOnce, properties: [.sessionExpiryInterval(5)])
        XCTAssertThrowsError(try handler.publish(invalid)) { error in
            guard case .encodingFailed? = error as? MQTTClientError else { return XCTFail("\(error)") }
        }
        XCTAssertNil(try written())
        XCTAssertTrue(channel.isActive)
        XCTAssertEqual(handler.publishesInFlight, 0)
        XCTAssertTrue(delegate.completed.isEmpty)
        _ = try handler.publish(MQTTMessage(topic: "devices/a", payload: ByteBuffer(), qos: .atLeastOnce))
        guard case .publish(let publish)? = try written() else { return XCTFail("no PUBLISH") }
        XCTAssertEqual(publish.packetIdentifier, 2)
    }
}
