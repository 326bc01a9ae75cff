import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// QoS 1/2 flows in both directions, packet identifiers, Receive Maximum, CONNACK limits,
/// topic aliases, subscribe and unsubscribe.
final class StateMachineQoSTests: XCTestCase {
    func testOutboundQoS0IsWrittenWithoutRequest() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (request, action) = try harness.publish("devices/a", "x", qos: .atMostOnce)
        XCTAssertNil(request)
        XCTAssertEqual(
            action, .write(.publish(PublishPacket(topic: "devices/a", payload: ByteBuffer(string: "x")))))
    }

    func testOutboundQoS1CompletesOnPubAck() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (request, action) = try harness.publish("devices/a", qos: .atLeastOnce)
        let publish = try XCTUnwrap(writtenPublish(action))
        XCTAssertEqual(publish.packetIdentifier, 1)
        XCTAssertEqual(publish.qos, .atLeastOnce)
        XCTAssertEqual(harness.machine.publishesInFlight, 1)
        XCTAssertEqual(
            try harness.receive(.puback(PublishAckPacket(packetIdentifier: 1))),
            .completeRequest(try XCTUnwrap(request), .success(.published(.success)), thenWrite: nil))
        XCTAssertEqual(harness.machine.publishesInFlight, 0)
    }

    func testOutboundQoS2GoesThroughPubRecPubRelPubComp() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (request, _) = try harness.publish("devices/a", qos: .exactlyOnce)
        XCTAssertEqual(
            try harness.receive(.pubrec(PublishAckPacket(packetIdentifier: 1))),
            .write(.pubrel(PublishAckPacket(packetIdentifier: 1))))
        // A repeated PUBREC gets the PUBREL again.
        XCTAssertEqual(
            try harness.receive(.pubrec(PublishAckPacket(packetIdentifier: 1))),
            .write(.pubrel(PublishAckPacket(packetIdentifier: 1))))
        XCTAssertEqual(
            try harness.receive(.pubcomp(PublishAckPacket(packetIdentifier: 1))),
            .completeRequest(try XCTUnwrap(request), .success(.published(.success)), thenWrite: nil))
        XCTAssertEqual(harness.machine.packetIdentifiersInUse, 0)
    }

    func testOutboundQoS2EndsAtAFailingPubRec() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let (request, _) = try harness.publish("devices/a", qos: .exactlyOnce)
        XCTAssertEqual(
            try harness.receive(.pubrec(PublishAckPacket(packetIdentifier: 1, reasonCode: .notAuthorized))),
            .completeRequest(try XCTUnwrap(request), .success(.published(.notAuthorized)), thenWrite: nil))
        XCTAssertEqual(harness.machine.packetIdentifiersInUse, 0)
    }

    func testInboundQoS0And1AreDeliveredAndQoS1Acknowledged() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let qos0 = PublishPacket(topic: "devices/a/config", payload: ByteBuffer(string: "0"))
        XCTAssertEqual(try harness.receive(.publish(qos0)), .deliver(qos0, acknowledge: nil))
        let qos1 = PublishPacket(
            topic: "devices/a/config", payload: ByteBuffer(string: "1"), qos: .atLeastOnce, packetIdentifier: 7)
        XCTAssertEqual(
            try harness.receive(.publish(qos1)),
            .deliver(qos1, acknowledge: .puback(PublishAckPacket(packetIdentifier: 7))))
    }

    func testInboundQoS2IsDeliveredOnceUntilReleased() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let message = PublishPacket(
            topic: "devices/a/config", payload: ByteBuffer(string: "2"), qos: .exactlyOnce, packetIdentifier: 9)
        let pubrec = MQTTPacket.pubrec(PublishAckPacket(packetIdentifier: 9))
        XCTAssertEqual(try harness.receive(.publish(message)), .deliver(message, acknowledge: pubrec))
        var duplicate = message
        duplicate.dup = true
        XCTAssertEqual(try harness.receive(.publish(duplicate)), .write(pubrec))
        XCTAssertEqual(
            try harness.receive(.pubrel(PublishAckPacket(packetIdentifier: 9))),
            .write(.pubcomp(PublishAckPacket(packetIdentifier: 9))))
        // Released: the identifier may carry a new message.
        XCTAssertEqual(try harness.receive(.publish(message)), .deliver(message, acknowledge: pubrec))
    }

    func testPubRelForUnknownIdentifierGetsPacketIdentifierNotFound() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        XCTAssertEqual(
            try harness.receive(.pubrel(PublishAckPacket(packetIdentifier: 4))),
            .write(.pubcomp(PublishAckPacket(packetIdentifier: 4, reasonCode: .packetIdentifierNotFound))))
    }

    func testInboundReceiveMaximumIsEnforced() throws {
        var harness = StateMachineHarness { $0.receiveMaximum = 1 }
        try harness.connect()
        let first = PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, packetIdentifier: 1)
        var second = first
        second.packetIdentifier = 2
        _ = try harness.receive(.publish(first))
        XCTAssertEqual(
            try harness.receive(.publish(second)),
            .close(writing: .disconnect(DisconnectPacket(reasonCode: .receiveMaximumExceeded)), abrupt: false))
    }

    func testPacketIdentifiersWrapSkippingZeroAndIdentifiersInFlight() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        // Identifier 1 stays in flight while 2...65535 are used and released.
        _ = try harness.publish("devices/held")
        for expected in 2...UInt16.max {
            let (_, action) = try harness.publish("devices/cycled")
            XCTAssertEqual(writtenPublish(action)?.packetIdentifier, expected)
            _ = try harness.receive(.puback(PublishAckPacket(packetIdentifier: expected)))
        }
        let (_, action) = try harness.publish("devices/next")
        XCTAssertEqual(writtenPublish(action)?.packetIdentifier, 2)
    }

    func testAllIdentifiersInUseIsATypedError() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        for _ in 1...UInt16.max {
            _ = try harness.machine.subscribe([Subscription(filter: "devices/#")], now: harness.now)
        }
        XCTAssertThrowsError(try harness.machine.subscribe([Subscription(filter: "devices/#")], now: harness.now)) {
            XCTAssertEqual($0 as? MQTTClientError, .packetIdentifiersExhausted)
        }
    }

    func testReceiveMaximumQueuesAndReleasesInOrder() throws {
        var harness = StateMachineHarness()
        try harness.connect(ConnAckPacket(properties: [.receiveMaximum(2)]))
        let (first, _) = try harness.publish("devices/a", "1")
        _ = try harness.publish("devices/a", "2")
        let (third, queued) = try harness.publish("devices/a", "3")
        XCTAssertEqual(queued, .none)
        XCTAssertNotNil(third)
        XCTAssertEqual(harness.machine.queuedPublishCount, 1)
        // QoS 0 is not limited by Receive Maximum.
        let (_, qos0) = try harness.publish("devices/a", "0", qos: .atMostOnce)
        XCTAssertNotNil(writtenPublish(qos0))

        let action = try harness.receive(.puback(PublishAckPacket(packetIdentifier: 1)))
        guard case .completeRequest(let completed, .success(.published(.success)), let next?) = action,
            case .publish(let released) = next
        else { return XCTFail("\(action)") }
        XCTAssertEqual(completed, first)
        XCTAssertEqual(released.payload, ByteBuffer(string: "3"))
        XCTAssertEqual(released.packetIdentifier, 3)
        XCTAssertEqual(harness.machine.queuedPublishCount, 0)
        XCTAssertEqual(harness.machine.publishesInFlight, 2)
    }

    func testMaximumQoSAndRetainAvailableAreRespected() throws {
        var harness = StateMachineHarness()
        try harness.connect(ConnAckPacket(properties: [.maximumQoS(.atLeastOnce), .retainAvailable(false)]))
        XCTAssertThrowsError(try harness.publish("devices/a", qos: .exactlyOnce)) {
            XCTAssertEqual($0 as? MQTTClientError, .qosNotSupported(requested: .exactlyOnce, maximum: .atLeastOnce))
        }
        XCTAssertThrowsError(try harness.publish("devices/a", qos: .atLeastOnce, retain: true)) {
            XCTAssertEqual($0 as? MQTTClientError, .retainNotSupported)
        }
        XCTAssertNoThrow(try harness.publish("devices/a", qos: .atLeastOnce))
    }

    func testServerMaximumPacketSizeRefusesLargerPackets() throws {
        var harness = StateMachineHarness()
        try harness.connect(ConnAckPacket(properties: [.maximumPacketSize(64)]))
        let large = String(repeating: "x", count: 100)
        XCTAssertThrowsError(try harness.publish("devices/a", large, qos: .atMostOnce)) { error in
            guard case .packetTooLarge(let size, let maximum)? = error as? MQTTClientError else {
                return XCTFail("\(error)")
            }
            XCTAssertGreaterThan(size, 100)
            XCTAssertEqual(maximum, 64)
        }
        XCTAssertEqual(harness.machine.packetIdentifiersInUse, 0)
        XCTAssertNoThrow(try harness.publish("devices/a", "small", qos: .atLeastOnce))
    }

    func testInvalidTopicIsRefusedBeforeSending() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        XCTAssertThrowsError(try harness.publish("devices/+/a")) { error in
            guard case .invalidTopic("devices/+/a", _)? = error as? MQTTClientError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try harness.machine.subscribe([Subscription(filter: "devices/#/x")], now: harness.now))
    }

    func testOutboundTopicAliasesStayWithinTheServerMaximum() throws {
        var harness = StateMachineHarness { $0.useTopicAliases = true }
        try harness.connect(ConnAckPacket(properties: [.topicAliasMaximum(2)]))
        func sent(_ topic: String) throws -> PublishPacket {
            try XCTUnwrap(writtenPublish(try harness.publish(topic, qos: .atMostOnce).1))
        }
        let firstA = try sent("devices/a")
        XCTAssertEqual(firstA.topic, "devices/a")
        XCTAssertEqual(firstA.properties.topicAlias, 1)
        let secondA = try sent("devices/a")
        XCTAssertEqual(secondA.topic, "")
        XCTAssertEqual(secondA.properties.topicAlias, 1)
        XCTAssertEqual(try sent("devices/b").properties.topicAlias, 2)
        let c = try sent("devices/c")
        XCTAssertEqual(c.topic, "devices/c")
        XCTAssertNil(c.properties.topicAlias)
    }

    func testNoTopicAliasesWhenTheServerAllowsNone() throws {
        var harness = StateMachineHarness { $0.useTopicAliases = true }
        try harness.connect()
        let publish = try XCTUnwrap(writtenPublish(try harness.publish("devices/a", qos: .atMostOnce).1))
        XCTAssertNil(publish.properties.topicAlias)
    }

    func testInboundTopicAliasesAreResolved() throws {
        var harness = StateMachineHarness { $0.topicAliasMaximum = 5 }
        try harness.connect()
        let set = PublishPacket(topic: "devices/a/config", payload: ByteBuffer(), properties: [.topicAlias(3)])
        XCTAssertEqual(try harness.receive(.publish(set)), .deliver(set, acknowledge: nil))
        let use = PublishPacket(topic: "", payload: ByteBuffer(string: "v"), properties: [.topicAlias(3)])
        var resolved = use
        resolved.topic = "devices/a/config"
        XCTAssertEqual(try harness.receive(.publish(use)), .deliver(resolved, acknowledge: nil))
    }

    func testSubscribeAndUnsubscribeCompleteWithReasonCodes() throws {
        var harness = StateMachineHarness()
        try harness.connect()
        let subscriptions = [Subscription(filter: "devices/+/config", qos: .atLeastOnce), Subscription(filter: "forbidden/#")]
        let (subscribe, action) = try harness.machine.subscribe(subscriptions, now: harness.now)
        XCTAssertEqual(writtenPacket(action), .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: subscriptions)))
        XCTAssertEqual(
            try harness.receive(.suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.grantedQoS1, .notAuthorized]))),
            .completeRequest(subscribe, .success(.subscribed([.grantedQoS1, .notAuthorized])), thenWrite: nil))
        let (unsubscribe, _) = try harness.machine.unsubscribe(["devices/+/config"], now: harness.now)
        XCTAssertEqual(
            try harness.receive(.unsuback(UnsubAckPacket(packetIdentifier: 2, reasonCodes: [.noSubscriptionExisted]))),
            .completeRequest(unsubscribe, .success(.unsubscribed([.noSubscriptionExisted])), thenWrite: nil))
    }

    func testMQTT311UnsubAckWithoutCodesReportsSuccessPerFilter() throws {
        var harness = StateMachineHarness(version: .v3_1_1)
        try harness.connect()
        let (request, _) = try harness.machine.unsubscribe(["a", "b"], now: harness.now)
        XCTAssertEqual(
            try harness.receive(.unsuback(UnsubAckPacket(packetIdentifier: 1))),
            .completeRequest(request, .success(.unsubscribed([.success, .success])), thenWrite: nil))
    }

    func testMQTT311PublishDropsProperties() throws {
        var harness = StateMachineHarness(version: .v3_1_1)
        try harness.connect()
        let message = MQTTMessage(
            topic: "devices/a", payload: ByteBuffer(), qos: .atMostOnce, properties: [.contentType("text/plain")])
        let (_, action) = try harness.machine.publish(message, now: harness.now)
        XCTAssertEqual(writtenPublish(action)?.properties.isEmpty, true)
    }

    func testUnencodableRequestFreesItsIdentifierAndReleasesTheQueue() throws {
        var harness = StateMachineHarness()
        try harness.connect(ConnAckPacket(properties: [.receiveMaximum(1)]))
        let (first, action) = try harness.publish("devices/a", "1")
        let (_, queued) = try harness.publish("devices/a", "2")
        XCTAssertEqual(queued, .none)
        let packet = try XCTUnwrap(writtenPacket(action))
        let error = MQTTEncodeError(kind: .disallowedCodePoint, packetType: .publish)
        guard case .completeRequest(let failed, .failure(.encodingFailed(error)), let next?) =
            harness.machine.encodingFailed(packet, error),
            case .publish(let released) = next
        else { return XCTFail("request not failed") }
        XCTAssertEqual(failed, first)
        XCTAssertEqual(released.payload, ByteBuffer(string: "2"))
        XCTAssertEqual(harness.machine.publishesInFlight, 1)
        XCTAssertEqual(harness.machine.phase, .connected)
    }

    func testUnencodableConnectEndsTheConnection() {
        var harness = StateMachineHarness()
        guard case .writeAndScheduleTimer(let connect, _) = harness.machine.channelActive(now: harness.now) else {
            return XCTFail("no CONNECT")
        }
        let error = MQTTEncodeError(kind: .disallowedCodePoint, packetType: .connect)
        XCTAssertEqual(harness.machine.encodingFailed(connect, error), .close(writing: nil, abrupt: false))
        XCTAssertEqual(harness.machine.channelInactive(), .reportClosed(.failed(.encodingFailed(error)), failedRequests: []))
    }
}
