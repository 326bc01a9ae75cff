import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Connect, publish/receive and server DISCONNECT against the real mosquitto, on 3.1.1 and 5.0.
final class PlainIntegrationTests: XCTestCase {
    func testConnectReportsConnAckAndTimings() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let id = TestBroker.uniqueID("connect")
            let client = try await MQTTClient.connect(
                to: TestBroker.plain, configuration: TestBroker.configuration(version, id, keepAlive: 30))
            let result = client.connectResult
            XCTAssertEqual(result.connAck.reasonCode, .success, "\(version)")
            XCTAssertEqual(result.connAck.version, version)
            XCTAssertEqual(result.connAck.clientIdentifier, id)
            XCTAssertFalse(result.connAck.sessionPresent)
            XCTAssertEqual(result.connAck.keepAliveSeconds, 30)
            let timings = result.timings
            XCTAssertNotNil(timings.connectStarted)
            XCTAssertNotNil(timings.tcpConnected)
            XCTAssertNil(timings.tlsHandshakeCompleted)
            XCTAssertNotNil(timings.connAckReceived)
            XCTAssertLessThanOrEqual(timings.connectStarted!, timings.tcpConnected!)
            XCTAssertLessThanOrEqual(timings.tcpConnected!, timings.connAckReceived!)
            let reason = await client.close(.graceful)
            XCTAssertEqual(reason, .ended(.graceful))
        }
    }

    func testBrokerAssignsClientIdentifierOnMQTT5() async throws {
        let client = try await MQTTClient.connect(
            to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, ""))
        let assigned = try XCTUnwrap(client.connectResult.connAck.assignedClientIdentifier)
        XCTAssertFalse(assigned.isEmpty)
        XCTAssertEqual(client.connectResult.connAck.clientIdentifier, assigned)
        await client.close(.graceful)
    }

    func testPublishAndReceiveAtEveryQoS() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let topic = "fleet/test/\(TestBroker.uniqueID("qos"))"
            let (subscriber, collector) = try await TestBroker.subscriber(topic, version: version)
            let publisher = try await MQTTClient.connect(
                to: TestBroker.plain, configuration: TestBroker.configuration(version, TestBroker.uniqueID("pub")))
            for qos in QoS.allCases {
                let code = try await publisher.publish(
                    MQTTMessage(topic: topic, payload: ByteBuffer(string: "qos-\(qos.rawValue)"), qos: qos))
                XCTAssertFalse(code.isFailure, "\(version) QoS \(qos): \(code)")
            }
            let received = await collector.wait(for: 3, on: topic, seconds: 5)
            XCTAssertEqual(received.map(\.payload.text), ["qos-0", "qos-1", "qos-2"], "\(version)")
            XCTAssertEqual(received.map(\.qos), [.atMostOnce, .atLeastOnce, .exactlyOnce], "\(version)")
            await publisher.close(.graceful)
            await subscriber.close(.graceful)
        }
    }

    func testPublishesBeyondTheBrokersReceiveMaximumAreQueuedAndAllAcknowledged() async throws {
        let topic = "fleet/test/\(TestBroker.uniqueID("burst"))"
        let (subscriber, collector) = try await TestBroker.subscriber(topic, qos: .atLeastOnce)
        let publisher = try await MQTTClient.connect(
            to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("burst")))
        let receiveMaximum = Int(publisher.connectResult.connAck.receiveMaximum)
        let count = receiveMaximum * 3
        try await withThrowingTaskGroup(of: ReasonCode.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await publisher.publish(
                        MQTTMessage(topic: topic, payload: ByteBuffer(string: "\(index)"), qos: .exactlyOnce))
                }
            }
            for try await code in group {
                XCTAssertFalse(code.isFailure, "\(code)")
            }
        }
        let received = await collector.wait(for: count, on: topic, seconds: 10)
        XCTAssertEqual(Set(received.map(\.payload.text)), Set((0..<count).map { "\($0)" }))
        await publisher.close(.graceful)
        await subscriber.close(.graceful)
    }

    func testPersistentSessionKeepsMessagesWhileOffline() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let id = TestBroker.uniqueID("session")
            let topic = "devices/\(id)/configuration"
            var configuration = TestBroker.configuration(version, id)
            configuration.cleanStart = false
            configuration.sessionExpiryInterval = 60
            let first = try await MQTTClient.connect(to: TestBroker.plain, configuration: configuration)
            _ = try await first.subscribe([Subscription(filter: topic, qos: .atLeastOnce)])
            await first.close(.graceful)

            let publisher = try await MQTTClient.connect(
                to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("pub")))
            try await publisher.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "while-offline"), qos: .atLeastOnce))
            await publisher.close(.graceful)

            let resumed = try await MQTTClient.connect(to: TestBroker.plain, configuration: configuration)
            XCTAssertTrue(resumed.connectResult.connAck.sessionPresent, "\(version)")
            let collector = MessageCollector(resumed)
            let received = await collector.wait(on: topic, seconds: 5)
            XCTAssertEqual(received.map(\.payload.text), ["while-offline"], "\(version)")
            configuration.cleanStart = true
            configuration.sessionExpiryInterval = nil
            await resumed.close(.graceful)
            // End the session on the broker.
            await (try MQTTClient.connect(to: TestBroker.plain, configuration: configuration)).close(.graceful)
        }
    }

    func testUnsubscribeStopsDelivery() async throws {
        let topic = "fleet/test/\(TestBroker.uniqueID("unsub"))"
        let (subscriber, collector) = try await TestBroker.subscriber(topic, qos: .atLeastOnce)
        let codes = try await subscriber.unsubscribe([topic])
        XCTAssertEqual(codes, [.success])
        let publisher = try await MQTTClient.connect(
            to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("pub")))
        try await publisher.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "late"), qos: .atLeastOnce))
        // The publisher's PUBACK came after the broker routed the message; a round trip on the
        // subscriber's own connection drains anything already queued for it.
        _ = try await subscriber.subscribe([Subscription(filter: "fleet/test/\(TestBroker.uniqueID("drain"))")])
        XCTAssertTrue(collector.messages.isEmpty)
        await publisher.close(.graceful)
        await subscriber.close(.graceful)
    }

    func testOutboundTopicAliasesAreResolvedByTheBroker() async throws {
        let topic = "fleet/test/\(TestBroker.uniqueID("alias"))"
        let (subscriber, collector) = try await TestBroker.subscriber(topic)
        var configuration = TestBroker.configuration(.v5_0, TestBroker.uniqueID("alias-pub"))
        configuration.useTopicAliases = true
        let publisher = try await MQTTClient.connect(to: TestBroker.plain, configuration: configuration)
        XCTAssertGreaterThan(publisher.connectResult.connAck.topicAliasMaximum, 0)
        for index in 0..<3 {
            try await publisher.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "\(index)"), qos: .atLeastOnce))
        }
        let received = await collector.wait(for: 3, on: topic, seconds: 5)
        XCTAssertEqual(received.map(\.payload.text), ["0", "1", "2"])
        await publisher.close(.graceful)
        await subscriber.close(.graceful)
    }

    func testServerDisconnectIsSurfacedWithItsReasonCode() async throws {
        let client = try await MQTTClient.connect(
            to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("srv-disc")))
        // Topic Alias 0 is invalid; mosquitto answers with DISCONNECT 0x81 (Malformed Packet).
        // Topic "t", properties: length 3, Topic Alias (0x23) = 0, payload "x".
        let body = ByteBuffer(bytes: [0x00, 0x01, UInt8(ascii: "t"), 0x03, 0x23, 0x00, 0x00, UInt8(ascii: "x")])
        var bytes = ByteBuffer()
        RawPacket(firstByte: 0x30, body: body).write(to: &bytes)
        try await client.channel.writeAndFlush(bytes)
        let reason = await client.closed()
        XCTAssertEqual(reason, .failed(.serverDisconnected(.malformedPacket, reasonString: nil)))
    }

    func testSessionTakeoverClosesTheFirstConnection() async throws {
        // mosquitto 2.0 closes the first connection without DISCONNECT when its client ID is reused.
        let id = TestBroker.uniqueID("takeover")
        let first = try await MQTTClient.connect(to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, id))
        let second = try await MQTTClient.connect(to: TestBroker.plain, configuration: TestBroker.configuration(.v5_0, id))
        let reason = await first.closed()
        XCTAssertEqual(reason, .failed(.closedByPeer))
        await second.close(.graceful)
    }

    func testRefusedTCPConnectionIsTyped() async throws {
        do {
            _ = try await MQTTClient.connect(
                to: MQTTEndpoint(host: TestBroker.host, port: 1), configuration: TestBroker.configuration(.v5_0, "x"))
            XCTFail("connected to a closed port")
        } catch let error as MQTTClientError {
            guard case .tcpConnectFailed(let address, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(address, "127.0.0.1:1")
            XCTAssertTrue(reason.lowercased().contains("refused"), reason)
        }
    }

    func testBindsTheChosenSourceAddress() async throws {
        let id = TestBroker.uniqueID("bind")
        var endpoint = TestBroker.plain
        endpoint.localAddress = "127.0.0.2"
        let client = try await MQTTClient.connect(to: endpoint, configuration: TestBroker.configuration(.v5_0, id))
        let local = try XCTUnwrap(client.channel.localAddress)
        XCTAssertEqual(local.ipAddress, "127.0.0.2")
        let port = try XCTUnwrap(local.port)
        await client.close(.graceful)
        let log = try String(contentsOfFile: TestBroker.logFile, encoding: .utf8)
        XCTAssertTrue(log.contains("New connection from 127.0.0.2:\(port) on port 1883"), "not in the broker log")
        XCTAssertTrue(log.contains("New client connected from 127.0.0.2:\(port) as \(id)"), "not in the broker log")
    }
}
