import MQTTCore
import NIOCore
import XCTest

/// The encoder refuses what a conforming peer would have to reject, and leaves the buffer untouched.
final class EncodeValidationTests: XCTestCase {
    private func publish(
        _ topic: String = "t", qos: QoS = .atMostOnce, dup: Bool = false, id: UInt16? = nil,
        properties: MQTTProperties = []
    ) -> MQTTPacket {
        .publish(PublishPacket(topic: topic, payload: ByteBuffer(), qos: qos, dup: dup, packetIdentifier: id, properties: properties))
    }

    func testPublishPacketIdentifierRules() {
        for version in MQTTProtocolVersion.allCases {
            XCTAssertEqual(encodeError(publish(qos: .atLeastOnce), version)?.kind, .missingPacketIdentifier)
            XCTAssertEqual(encodeError(publish(qos: .exactlyOnce, id: 0), version)?.kind, .missingPacketIdentifier)
            XCTAssertEqual(encodeError(publish(id: 5), version)?.kind, .unexpectedPacketIdentifier)
            XCTAssertEqual(encodeError(publish(dup: true), version)?.kind, .dupFlagOnQoS0)
        }
    }

    func testTopicRulesOnEncode() {
        XCTAssertEqual(encodeError(publish("a/+"), .v5_0)?.kind, .invalidTopicName(.wildcardInTopicName))
        XCTAssertEqual(encodeError(publish("a\u{0}b"), .v5_0)?.kind, .invalidTopicName(.containsNullCharacter))
        XCTAssertEqual(encodeError(publish(""), .v3_1_1)?.kind, .invalidTopicName(.empty))
        XCTAssertEqual(encodeError(publish(""), .v5_0)?.kind, .emptyTopicWithoutAlias)
        let subscribe = MQTTPacket.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "a#")]))
        XCTAssertEqual(encodeError(subscribe, .v5_0)?.kind, .invalidTopicFilter(.misplacedMultiLevelWildcard))
        let unsubscribe = MQTTPacket.unsubscribe(UnsubscribePacket(packetIdentifier: 1, filters: ["$share//x"]))
        XCTAssertEqual(encodeError(unsubscribe, .v5_0)?.kind, .invalidTopicFilter(.invalidSharedSubscription))
        let will = MQTTPacket.connect(ConnectPacket(clientIdentifier: "c", will: Will(topic: "w/+", payload: ByteBuffer())))
        XCTAssertEqual(encodeError(will, .v3_1_1)?.kind, .invalidTopicName(.wildcardInTopicName))
    }

    func testStringRules() {
        let long = String(repeating: "x", count: 65_536)
        XCTAssertEqual(
            encodeError(.connect(ConnectPacket(clientIdentifier: long)), .v3_1_1)?.kind, .stringTooLong(bytes: 65_536))
        XCTAssertEqual(encodeError(.connect(ConnectPacket(clientIdentifier: "a\u{0}")), .v3_1_1)?.kind, .disallowedCodePoint)
        XCTAssertEqual(
            encodeError(.connack(ConnAckPacket(properties: [.reasonString("x\u{0}")])), .v5_0)?.kind, .disallowedCodePoint)
        let bigPassword = ByteBuffer(repeating: 0, count: 65_536)
        XCTAssertEqual(
            encodeError(.connect(ConnectPacket(clientIdentifier: "c", username: "u", password: bigPassword)), .v5_0)?.kind,
            .binaryDataTooLong(bytes: 65_536))
        // 65535 bytes is the limit, not beyond it.
        assertRoundTrip(.connect(ConnectPacket(clientIdentifier: String(repeating: "y", count: 65_535))), .v3_1_1)
    }

    func testVersionRules() {
        XCTAssertEqual(encodeError(.auth(AuthPacket()), .v3_1_1)?.kind, .packetTypeNotInVersion(.v3_1_1))
        XCTAssertEqual(
            encodeError(.puback(PublishAckPacket(packetIdentifier: 1, reasonCode: .quotaExceeded)), .v3_1_1)?.kind,
            .reasonCodeNotInVersion(.quotaExceeded))
        XCTAssertEqual(
            encodeError(.disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)), .v3_1_1)?.kind,
            .reasonCodeNotInVersion(.disconnectWithWillMessage))
        XCTAssertEqual(
            encodeError(.unsuback(UnsubAckPacket(packetIdentifier: 1, reasonCodes: [.notAuthorized])), .v3_1_1)?.kind,
            .reasonCodeNotInVersion(.notAuthorized))
        XCTAssertEqual(
            encodeError(.connect(ConnectPacket(clientIdentifier: "c", password: ByteBuffer([1]))), .v3_1_1)?.kind,
            .passwordWithoutUsername)
        let willProps = MQTTPacket.connect(
            ConnectPacket(clientIdentifier: "c", will: Will(topic: "w", payload: ByteBuffer(), properties: [.willDelayInterval(1)])))
        XCTAssertEqual(encodeError(willProps, .v3_1_1)?.kind, .propertiesNotInVersion)
        for options in [
            Subscription(filter: "a", noLocal: true), Subscription(filter: "a", retainAsPublished: true),
            Subscription(filter: "a", retainHandling: .doNotSend),
        ] {
            let subscribe = MQTTPacket.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [options]))
            XCTAssertEqual(encodeError(subscribe, .v3_1_1)?.kind, .subscriptionOptionNotInVersion)
        }
        // A 3.1.1 UNSUBACK may be asked to say "success" for every filter: it carries nothing.
        XCTAssertEqual(
            try encode(.unsuback(UnsubAckPacket(packetIdentifier: 2, reasonCodes: [.success])), .v3_1_1).bytes,
            [0xB0, 0x02, 0x00, 0x02])
    }

    func testEmptyListsAndMissingIdentifiers() {
        XCTAssertEqual(
            encodeError(.subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [])), .v5_0)?.kind, .emptySubscription)
        XCTAssertEqual(
            encodeError(.unsubscribe(UnsubscribePacket(packetIdentifier: 1, filters: [])), .v3_1_1)?.kind, .emptySubscription)
        XCTAssertEqual(encodeError(.suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [])), .v5_0)?.kind, .emptyAcknowledgement)
        XCTAssertEqual(encodeError(.unsuback(UnsubAckPacket(packetIdentifier: 1)), .v5_0)?.kind, .emptyAcknowledgement)
        XCTAssertEqual(encodeError(.puback(PublishAckPacket(packetIdentifier: 0)), .v5_0)?.kind, .missingPacketIdentifier)
        XCTAssertEqual(
            encodeError(.subscribe(SubscribePacket(packetIdentifier: 0, subscriptions: [Subscription(filter: "a")])), .v5_0)?.kind,
            .missingPacketIdentifier)
    }

    func testPacketLargerThanTheProtocolAllowsIsRefused() {
        let payload = ByteBuffer(repeating: 0, count: Int(VariableByteInteger.maximum))
        let packet = MQTTPacket.publish(PublishPacket(topic: "t", payload: payload))
        let error = encodeError(packet, .v3_1_1)
        XCTAssertEqual(error?.kind, .packetTooLarge(remainingLength: Int(VariableByteInteger.maximum) + 3))
        XCTAssertEqual(error?.packetType, .publish)
    }

    func testEncodedSizeIsExactForEveryPacket() throws {
        for version in MQTTProtocolVersion.allCases {
            for packet in RoundTripTests.packets(for: version) {
                var buffer = ByteBuffer()
                try packet.write(to: &buffer, version: version)
                XCTAssertEqual(buffer.readableBytes, packet.encodedSize(version: version), "\(packet.type) \(version)")
            }
        }
    }
}
