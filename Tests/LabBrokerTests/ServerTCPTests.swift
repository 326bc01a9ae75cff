@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The server over plain TCP with the project's own client: routing, wills on an abrupt close, closes
/// the engine asks for, framing errors, batching, and the bounds on a subscriber that does not read.
final class ServerTCPTests: XCTestCase {
    func testPublishSubscribeRoundTripInBothVersions() async throws {
        let server = try await startServer(self)
        let endpoint = try server.endpoint(.tcp)
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "devices/round-trip-\(version.rawValue)/telemetry"
            let subscriber = try await MQTTClient.connect(to: endpoint, configuration: configuration("sub-\(version.rawValue)", version: version))
            let received = inbox(of: subscriber)
            let codes = try await subscriber.subscribe([Subscription(filter: "devices/+/telemetry", qos: .atLeastOnce)])
            XCTAssertEqual(codes, [.grantedQoS1])
            let publisher = try await MQTTClient.connect(to: endpoint, configuration: configuration("pub-\(version.rawValue)", version: version))
            try await publisher.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "q0"), qos: .atMostOnce))
            let ack = try await publisher.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "q1"), qos: .atLeastOnce))
            XCTAssertEqual(ack, .success)
            let messages = await received.messages(on: topic, count: 2)
            XCTAssertEqual(messages.map(\.payload.utf8Text), ["q0", "q1"])
            XCTAssertEqual(messages.map(\.qos), [.atMostOnce, .atLeastOnce])
            await publisher.close(.graceful)
            await subscriber.close(.graceful)
        }
        let statistics = await server.statistics()
        XCTAssertEqual(statistics.publishesReceived, 4)
        XCTAssertEqual(statistics.publishesSent, 4)
    }

    func testAnAbruptCloseDeliversTheWillAndAGracefulOneDoesNot() async throws {
        let server = try await startServer(self)
        let endpoint = try server.endpoint(.tcp)
        let observer = try await MQTTClient.connect(to: endpoint, configuration: configuration("observer"))
        let received = inbox(of: observer)
        _ = try await observer.subscribe([Subscription(filter: "devices/+/status", qos: .atLeastOnce)])

        let will = Will(topic: "devices/abrupt/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let abrupt = try await MQTTClient.connect(to: endpoint, configuration: configuration("abrupt", will: will))
        await abrupt.close(.abrupt)
        let wills = await received.messages(on: "devices/abrupt/status")
        XCTAssertEqual(wills.map(\.payload.utf8Text), ["offline"])

        let quietWill = Will(topic: "devices/graceful/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let graceful = try await MQTTClient.connect(to: endpoint, configuration: configuration("graceful", will: quietWill))
        await graceful.close(.graceful)
        // Everything runs on one loop in order: once a later message has arrived, a will would have too.
        let sentinel = try await MQTTClient.connect(to: endpoint, configuration: configuration("sentinel"))
        try await sentinel.publish(MQTTMessage(topic: "devices/sentinel/status", payload: ByteBuffer(string: "here"), qos: .atLeastOnce))
        _ = await received.messages(on: "devices/sentinel/status")
        let all = await received.all
        XCTAssertFalse(all.contains { $0.topic == "devices/graceful/status" }, "a DISCONNECT discards the will")
        let statistics = await server.statistics()
        XCTAssertEqual(statistics.willsPublished, 1)
        await sentinel.close(.graceful)
        await observer.close(.graceful)
    }

    func testSeveralPacketsInOneWriteAreAnsweredInOrder() async throws {
        let server = try await startServer(self)
        let client = try await RawClient.connect(port: try server.listener(.tcp).port)
        var bytes = try encode([
            .connect(ConnectPacket(clientIdentifier: "batch")),
            .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "a/b")])),
            .pingreq,
            .publish(PublishPacket(topic: "a/b", payload: ByteBuffer(string: "self"))),
        ], version: .v5_0)
        try await client.channel.writeAndFlush(bytes)
        bytes.clear()
        let packets = await client.packets { $0.count >= 4 }
        XCTAssertEqual(packets.map(\.type), [.connack, .suback, .pingresp, .publish])
        try await client.channel.close()
    }

    func testTheEnginesCloseClosesTheSocketAndEndsTheSession() async throws {
        let server = try await startServer(self)
        let client = try await RawClient.connect(port: try server.listener(.tcp).port)
        try await client.send(.connect(ConnectPacket(clientIdentifier: "twice")))
        _ = await client.packets { $0.count >= 1 }
        // A second CONNECT is a protocol error (MQTT 5.0 §3.1.0): DISCONNECT 0x82, then the close.
        try await client.send(.connect(ConnectPacket(clientIdentifier: "twice")))
        let (bytes, closed) = await client.bytesUntilClosed()
        XCTAssertTrue(closed)
        let packets = decodePackets(bytes, version: .v5_0)
        XCTAssertEqual(packets.first?.type, .connack)
        guard case .disconnect(let disconnect) = packets.last else { return XCTFail("no DISCONNECT in \(packets)") }
        XCTAssertEqual(disconnect.reasonCode, .protocolError)
        let statistics = await server.statistics()
        XCTAssertEqual(statistics.connections, 0)
    }

    func testAFramingErrorClosesOnlyThatConnection() async throws {
        let server = try await startServer(self)
        let port = try server.listener(.tcp).port
        let bystander = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("bystander"))
        let hostile = try await RawClient.connect(port: port)
        try await hostile.send(.connect(ConnectPacket(clientIdentifier: "hostile")))
        _ = await hostile.packets { $0.count >= 1 }
        // Packet type 0 does not exist.
        try await hostile.send([0x00, 0x00])
        let (_, closed) = await hostile.bytesUntilClosed()
        XCTAssertTrue(closed)
        let codes = try await bystander.subscribe([Subscription(filter: "still/alive")])
        XCTAssertEqual(codes.count, 1)
        await bystander.close(.graceful)
    }

    func testAnOversizedPacketIsRefusedBeforeItsBodyArrives() async throws {
        var profile = BrokerProfile()
        profile.maximumPacketSize = 1024
        let server = try await startServer(self, profile: profile)
        let client = try await RawClient.connect(port: try server.listener(.tcp).port)
        try await client.send(.connect(ConnectPacket(clientIdentifier: "big")))
        _ = await client.packets { $0.count >= 1 }
        // A PUBLISH header announcing 1 MiB; its body never comes.
        try await client.send([0x30, 0x80, 0x80, 0x40])
        let (bytes, closed) = await client.bytesUntilClosed()
        XCTAssertTrue(closed)
        guard case .disconnect(let disconnect) = decodePackets(bytes, version: .v5_0).last else {
            return XCTFail("no DISCONNECT")
        }
        XCTAssertEqual(disconnect.reasonCode, .packetTooLarge)
    }

    /// A QoS 0 subscriber that stops reading: the server drops its deliveries past the bound instead of
    /// queueing without end, and the connection stays up.
    func testQoS0ToASubscriberThatDoesNotReadIsDroppedPastTheBound() async throws {
        let server = try await startServer(self)
        let port = try server.listener(.tcp).port
        let stalled = try await RawClient.connect(port: port)
        try await stalled.send(.connect(ConnectPacket(clientIdentifier: "stalled")))
        try await stalled.send(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "flood")])))
        _ = await stalled.packets { $0.count >= 2 }
        try await stalled.channel.setOption(ChannelOptions.autoRead, value: false).get()

        let publisher = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("flooder"))
        let payload = ByteBuffer(repeating: 0x55, count: 64 << 10)
        let count = 400
        for _ in 0..<count {
            // QoS 1 from the publisher: its PUBACK means the broker has routed (or dropped) the message.
            try await publisher.publish(MQTTMessage(topic: "flood", payload: payload, qos: .atLeastOnce))
        }
        let transport = await server.transportStatistics()
        XCTAssertGreaterThan(transport.qos0DeliveriesDropped, 0)
        XCTAssertLessThan(transport.qos0DeliveriesDropped, count)
        XCTAssertEqual(transport.connectionsClosedForBacklog, 0)
        XCTAssertTrue(stalled.channel.isActive)
        await publisher.close(.graceful)
        try await stalled.channel.close()
    }

    /// A QoS 1 subscriber that stops reading: past the hard bound the server closes it as a network
    /// failure would, so its will goes out.
    func testAQoS1SubscriberThatDoesNotReadIsClosedPastTheHardBound() async throws {
        let server = try await startServer(self)
        let port = try server.listener(.tcp).port
        let observer = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("observer"))
        let received = inbox(of: observer)
        _ = try await observer.subscribe([Subscription(filter: "status", qos: .atLeastOnce)])

        let stalled = try await RawClient.connect(port: port)
        let will = Will(topic: "status", payload: ByteBuffer(string: "stalled is gone"), qos: .atLeastOnce)
        try await stalled.send(.connect(ConnectPacket(clientIdentifier: "stalled", will: will)))
        try await stalled.send(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "flood", qos: .atLeastOnce)])))
        _ = await stalled.packets { $0.count >= 2 }
        try await stalled.channel.setOption(ChannelOptions.autoRead, value: false).get()

        let publisher = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("flooder"))
        let payload = ByteBuffer(repeating: 0x55, count: 64 << 10)
        var closedAfter: Int?
        for index in 0..<1000 {
            try await publisher.publish(MQTTMessage(topic: "flood", payload: payload, qos: .atLeastOnce))
            if await server.transportStatistics().connectionsClosedForBacklog == 1 {
                closedAfter = index + 1
                break
            }
        }
        let sent = try XCTUnwrap(closedAfter, "never closed the stalled subscriber")
        XCTAssertGreaterThan(sent * (64 << 10), OutboundBacklog.closeLimit, "not before the hard bound")
        let wills = await received.messages(on: "status")
        XCTAssertEqual(wills.map(\.payload.utf8Text), ["stalled is gone"])
        await publisher.close(.graceful)
        await observer.close(.graceful)
    }
}
