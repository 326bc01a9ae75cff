import MQTTCore
import NIOCore
import XCTest

@testable import LabBroker

/// QoS 1 and 2 in both directions, Receive Maximum and Maximum Packet Size in both directions, topic
/// aliases, publish authorization and the message rate.
final class EngineQoSTests: XCTestCase {
    func testQoS1BothDirections() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub", version: .v3_1_1)
        harness.subscribe("t", qos: .atLeastOnce, on: subscriber)
        harness.publish("t", "x", qos: .atLeastOnce, id: 7, on: publisher)
        XCTAssertEqual(harness.take(publisher), [.puback(PublishAckPacket(packetIdentifier: 7))])
        let delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.map(\.qos), [.atLeastOnce])
        guard let id = delivered.first?.packetIdentifier else { return XCTFail("no packet identifier") }
        harness.send(.puback(PublishAckPacket(packetIdentifier: id)), on: subscriber)
        harness.closeTransport(subscriber)
        XCTAssertEqual(harness.engine.statistics.publishesSent, 1)
    }

    func testQoS2BothDirectionsWithDuplicate() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub")
        let publisher = harness.connected("pub")
        harness.subscribe("t", qos: .exactlyOnce, on: subscriber)
        harness.publish("t", "x", qos: .exactlyOnce, id: 9, on: publisher)
        XCTAssertEqual(harness.take(publisher), [.pubrec(PublishAckPacket(packetIdentifier: 9))])
        // The publisher resends before PUBREL: acknowledged again, not delivered twice.
        harness.send(.publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "x"), qos: .exactlyOnce, dup: true,
                                            packetIdentifier: 9)), on: publisher)
        XCTAssertEqual(harness.take(publisher), [.pubrec(PublishAckPacket(packetIdentifier: 9))])
        harness.send(.pubrel(PublishAckPacket(packetIdentifier: 9)), on: publisher)
        XCTAssertEqual(harness.take(publisher), [.pubcomp(PublishAckPacket(packetIdentifier: 9))])
        // After PUBCOMP the identifier is free: the same id is a new message.
        harness.publish("t", "y", qos: .exactlyOnce, id: 9, on: publisher)

        let delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.map(\.payload.string), ["x", "y"])
        guard let id = delivered.first?.packetIdentifier else { return XCTFail("no packet identifier") }
        harness.send(.pubrec(PublishAckPacket(packetIdentifier: id)), on: subscriber)
        XCTAssertEqual(harness.take(subscriber), [.pubrel(PublishAckPacket(packetIdentifier: id))])
        harness.send(.pubcomp(PublishAckPacket(packetIdentifier: id)), on: subscriber)
        XCTAssertTrue(harness.take(subscriber).isEmpty)
    }

    func testPubrelForUnknownIdentifier() {
        let harness = EngineHarness()
        let five = harness.connected("five")
        harness.send(.pubrel(PublishAckPacket(packetIdentifier: 5)), on: five)
        XCTAssertEqual(harness.take(five),
                       [.pubcomp(PublishAckPacket(packetIdentifier: 5, reasonCode: .packetIdentifierNotFound))])
        let three = harness.connected("three", version: .v3_1_1)
        harness.send(.pubrel(PublishAckPacket(packetIdentifier: 5)), on: three)
        XCTAssertEqual(harness.take(three), [.pubcomp(PublishAckPacket(packetIdentifier: 5))])
    }

    func testInboundReceiveMaximum() {
        var profile = BrokerProfile()
        profile.receiveMaximum = 2
        let harness = EngineHarness(profile: profile)
        let client = harness.connected("c")
        harness.publish("t", "1", qos: .exactlyOnce, id: 1, on: client)
        harness.publish("t", "2", qos: .exactlyOnce, id: 2, on: client)
        harness.publish("t", "1 again", qos: .exactlyOnce, id: 1, on: client)
        XCTAssertFalse(harness.isClosed(client), "a duplicate is not a new in-flight message")
        harness.publish("t", "3", qos: .exactlyOnce, id: 3, on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .receiveMaximumExceeded)
        XCTAssertTrue(harness.isClosed(client))
    }

    func testOutboundReceiveMaximumHoldsTheRestInTheQueue() {
        let harness = EngineHarness()
        let subscriber = harness.connected("sub", properties: [.receiveMaximum(2)])
        let publisher = harness.connected("pub")
        harness.subscribe("t", qos: .atLeastOnce, on: subscriber)
        for index in 1...5 { harness.publish("t", "\(index)", qos: .atLeastOnce, id: UInt16(index), on: publisher) }
        var delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.map(\.payload.string), ["1", "2"])
        harness.publish("t", "zero", on: publisher)
        XCTAssertEqual(harness.publishes(subscriber).map(\.payload.string), ["zero"], "QoS 0 is not flow controlled")
        guard let first = delivered.first?.packetIdentifier else { return XCTFail("no packet identifier") }
        harness.send(.puback(PublishAckPacket(packetIdentifier: first)), on: subscriber)
        delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.map(\.payload.string), ["3"])
        for packet in delivered {
            harness.send(.puback(PublishAckPacket(packetIdentifier: packet.packetIdentifier ?? 0)), on: subscriber)
        }
        XCTAssertEqual(harness.publishes(subscriber).map(\.payload.string), ["4"])
    }

    func testInboundMaximumPacketSize() {
        var profile = BrokerProfile()
        profile.maximumPacketSize = 64
        let harness = EngineHarness(profile: profile)
        let client = harness.connected("c")
        harness.publish("t", String(repeating: "x", count: 100), on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .packetTooLarge)
        XCTAssertTrue(harness.isClosed(client))
    }

    func testOutboundMaximumPacketSizeDropsForThatClientOnly() {
        let harness = EngineHarness()
        let small = harness.connected("small", properties: [.maximumPacketSize(40)])
        let large = harness.connected("large")
        let publisher = harness.connected("pub")
        harness.subscribe("t", qos: .atLeastOnce, on: small)
        harness.subscribe("t", qos: .atLeastOnce, on: large)
        harness.publish("t", String(repeating: "x", count: 100), qos: .atLeastOnce, id: 1, on: publisher)
        harness.publish("t", "short", qos: .atLeastOnce, id: 2, on: publisher)
        XCTAssertEqual(harness.publishes(small).map(\.payload.string), ["short"])
        XCTAssertEqual(harness.publishes(large).count, 2)
    }

    func testInboundTopicAliases() {
        var profile = BrokerProfile()
        profile.topicAliasMaximum = 3
        let harness = EngineHarness(profile: profile)
        let subscriber = harness.connected("sub")
        harness.subscribe("long/topic/name", qos: .atMostOnce, on: subscriber)
        let client = harness.connected("c")
        harness.publish("long/topic/name", "1", properties: [.topicAlias(2)], on: client)
        harness.publish("", "2", properties: [.topicAlias(2)], on: client)
        let delivered = harness.publishes(subscriber)
        XCTAssertEqual(delivered.map(\.topic), ["long/topic/name", "long/topic/name"])
        XCTAssertEqual(delivered.map(\.payload.string), ["1", "2"])
        XCTAssertNil(delivered.last?.properties.topicAlias, "aliases belong to one connection")

        harness.publish("", "3", properties: [.topicAlias(3)], on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .protocolError, "unknown alias with empty topic")

        let other = harness.connected("d")
        harness.publish("t", "4", properties: [.topicAlias(4)], on: other)
        XCTAssertEqual(harness.take(other).last?.disconnectReason, .topicAliasInvalid, "above the maximum")

        var none = BrokerProfile()
        none.topicAliasMaximum = 0
        let strict = EngineHarness(profile: none)
        let third = strict.connected("e")
        strict.publish("t", "5", properties: [.topicAlias(1)], on: third)
        XCTAssertEqual(strict.take(third).last?.disconnectReason, .topicAliasInvalid)
    }

    private var devicePermissions: [TopicPermission] {
        [TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish, .subscribe])]
    }

    func testUnauthorizedPublish() {
        var profile = BrokerProfile()
        profile.authorization = devicePermissions
        let harness = EngineHarness(profile: profile)
        let watch = harness.connected("watch")
        harness.subscribe("devices/watch/#", on: watch)
        let device = harness.connected("d1")
        XCTAssertEqual(harness.subscribe("devices/d1/cmd", on: device), [.grantedQoS1])
        XCTAssertEqual(harness.subscribe("devices/d2/cmd", on: device), [.notAuthorized])
        harness.publish("devices/d1/telemetry", "mine", qos: .atLeastOnce, id: 1, on: device)
        XCTAssertEqual(harness.take(device), [.puback(PublishAckPacket(packetIdentifier: 1))])
        harness.publish("devices/watch/x", "theirs", qos: .atLeastOnce, id: 2, on: device)
        XCTAssertEqual(harness.take(device), [.puback(PublishAckPacket(packetIdentifier: 2, reasonCode: .notAuthorized))])
        harness.publish("devices/watch/x", "theirs", qos: .exactlyOnce, id: 3, on: device)
        XCTAssertEqual(harness.take(device), [.pubrec(PublishAckPacket(packetIdentifier: 3, reasonCode: .notAuthorized))])
        harness.publish("devices/watch/x", "theirs", on: device)
        XCTAssertTrue(harness.take(device).isEmpty)
        XCTAssertFalse(harness.isClosed(device))
        XCTAssertTrue(harness.publishes(watch).isEmpty)

        let old = harness.connected("d3", version: .v3_1_1)
        XCTAssertEqual(harness.subscribe("devices/d2/cmd", on: old), [.unspecifiedError])
        harness.publish("devices/d2/x", "theirs", qos: .atLeastOnce, id: 1, on: old)
        XCTAssertTrue(harness.isClosed(old), "3.1.1 cannot refuse a message: the connection is closed")
    }

    func testMessageRate() {
        var profile = BrokerProfile()
        profile.throttling = ThrottleRules(messagesPerClient: 2)
        let harness = EngineHarness(profile: profile)
        let five = harness.connected("five")
        for _ in 0..<3 { harness.publish("t", "x", on: five) }
        XCTAssertEqual(harness.take(five).last?.disconnectReason, .messageRateTooHigh)
        XCTAssertTrue(harness.isClosed(five))
        let three = harness.connected("three", version: .v3_1_1)
        for _ in 0..<3 { harness.publish("t", "x", on: three) }
        XCTAssertTrue(harness.isClosed(three))
    }

    func testClientMayNotSendSubscriptionIdentifiers() {
        let harness = EngineHarness()
        let client = harness.connected("c")
        harness.publish("t", "x", properties: [.subscriptionIdentifier(3)], on: client)
        XCTAssertEqual(harness.take(client).last?.disconnectReason, .protocolError)
    }
}
