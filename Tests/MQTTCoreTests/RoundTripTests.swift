import MQTTCore
import NIOCore
import XCTest

/// Encode → decode → equal, with `encodedSize` checked against the written size, for every packet
/// type in both protocol versions.
final class RoundTripTests: XCTestCase {
    static let will = Will(topic: "fleet/lwt/sensor-1", payload: ByteBuffer(text: "offline"), qos: .atLeastOnce, retain: true)

    static func packets(for version: MQTTProtocolVersion) -> [MQTTPacket] {
        let v5 = version == .v5_0
        var packets: [MQTTPacket] = [
            .connect(ConnectPacket(clientIdentifier: "sensor-1")),
            .connect(ConnectPacket(clientIdentifier: "", cleanStart: true, keepAliveSeconds: 0)),
            .connect(
                ConnectPacket(
                    clientIdentifier: "XiaoTandHandCO2-0001", cleanStart: false, keepAliveSeconds: 65_535,
                    username: "dev", password: ByteBuffer([0x00, 0xFF, 0x10]), will: will)),
            .connect(ConnectPacket(clientIdentifier: "u-only", username: "user")),
            .connect(
                ConnectPacket(
                    clientIdentifier: "w2",
                    will: Will(topic: "a", payload: ByteBuffer(), qos: .exactlyOnce, retain: false))),
            .connack(ConnAckPacket()),
            .connack(ConnAckPacket(sessionPresent: true)),
            .connack(ConnAckPacket(reasonCode: .notAuthorized)),
            .connack(ConnAckPacket(reasonCode: .badUserNameOrPassword)),
            .connack(ConnAckPacket(reasonCode: .serverUnavailable)),
            .connack(ConnAckPacket(reasonCode: .clientIdentifierNotValid)),
            .connack(ConnAckPacket(reasonCode: .unsupportedProtocolVersion)),
            .publish(PublishPacket(topic: "devices/1/t", payload: ByteBuffer(text: "22.5"))),
            .publish(PublishPacket(topic: "devices/1/t", payload: ByteBuffer(), retain: true)),
            .publish(PublishPacket(topic: "a", payload: ByteBuffer([1, 2, 3]), qos: .atLeastOnce, packetIdentifier: 1)),
            .publish(
                PublishPacket(
                    topic: "capteur/température/℃/🚀", payload: ByteBuffer(repeating: 0x5A, count: 300),
                    qos: .exactlyOnce, retain: true, dup: true, packetIdentifier: 65_535)),
            .publish(PublishPacket(topic: "$SYS/x", payload: ByteBuffer(), qos: .atLeastOnce, dup: true, packetIdentifier: 2)),
            .puback(PublishAckPacket(packetIdentifier: 1)),
            .pubrec(PublishAckPacket(packetIdentifier: 2)),
            .pubrel(PublishAckPacket(packetIdentifier: 3)),
            .pubcomp(PublishAckPacket(packetIdentifier: 65_535)),
            .subscribe(SubscribePacket(packetIdentifier: 10, subscriptions: [Subscription(filter: "devices/#")])),
            .subscribe(
                SubscribePacket(
                    packetIdentifier: 11,
                    subscriptions: [
                        Subscription(filter: "a/+/c", qos: .atLeastOnce),
                        Subscription(filter: "$share/g1/devices/+/t", qos: .exactlyOnce),
                        Subscription(filter: "#"),
                    ])),
            .suback(SubAckPacket(packetIdentifier: 10, reasonCodes: [.grantedQoS0])),
            .suback(SubAckPacket(packetIdentifier: 11, reasonCodes: [.grantedQoS1, .grantedQoS2, .unspecifiedError])),
            .unsubscribe(UnsubscribePacket(packetIdentifier: 12, filters: ["devices/#"])),
            .unsubscribe(UnsubscribePacket(packetIdentifier: 13, filters: ["a/+", "b", "$share/g/c/#"])),
            .pingreq,
            .pingresp,
            .disconnect(DisconnectPacket()),
        ]
        if v5 {
            packets += [
                .connect(ConnectPacket(clientIdentifier: "p-only", password: ByteBuffer(text: "token"))),
                .connect(
                    ConnectPacket(
                        clientIdentifier: "props", keepAliveSeconds: 30,
                        will: Will(
                            topic: "fleet/lwt", payload: ByteBuffer(text: "gone"), qos: .atMostOnce, retain: false,
                            properties: [
                                .willDelayInterval(5), .messageExpiryInterval(60), .contentType("text/plain"),
                                .responseTopic("fleet/reply"), .correlationData(ByteBuffer([9, 9])),
                                .payloadFormatIndicator(1), .userProperty("k", "v"),
                            ]),
                        properties: [
                            .sessionExpiryInterval(3600), .receiveMaximum(20), .maximumPacketSize(1 << 20),
                            .topicAliasMaximum(10), .requestResponseInformation(1), .requestProblemInformation(0),
                            .userProperty("fw", "1.2.3"), .userProperty("fw", "dup names are fine"),
                            .authenticationMethod("SCRAM-SHA-1"), .authenticationData(ByteBuffer([1, 2])),
                        ])),
                .connack(
                    ConnAckPacket(
                        sessionPresent: true, reasonCode: .success,
                        properties: [
                            .assignedClientIdentifier("auto-42"), .serverKeepAlive(120), .receiveMaximum(100),
                            .maximumQoS(.atLeastOnce), .retainAvailable(false), .maximumPacketSize(65_536),
                            .topicAliasMaximum(0), .wildcardSubscriptionAvailable(true),
                            .subscriptionIdentifierAvailable(false), .sharedSubscriptionAvailable(true),
                            .responseInformation("resp/"), .serverReference("other:1883"), .reasonString("ok"),
                            .sessionExpiryInterval(0),
                        ])),
                .connack(ConnAckPacket(reasonCode: .quotaExceeded)),
                .connack(ConnAckPacket(reasonCode: ReasonCode(rawValue: 0xEE))),
                .publish(
                    PublishPacket(
                        topic: "", payload: ByteBuffer(text: "aliased"), qos: .atLeastOnce, packetIdentifier: 4,
                        properties: [.topicAlias(3)])),
                .publish(
                    PublishPacket(
                        topic: "t", payload: ByteBuffer(),
                        properties: [
                            .subscriptionIdentifier(1), .subscriptionIdentifier(268_435_455), .topicAlias(1),
                            .payloadFormatIndicator(0), .contentType("application/json"),
                        ])),
                .puback(PublishAckPacket(packetIdentifier: 5, reasonCode: .noMatchingSubscribers)),
                .pubrec(PublishAckPacket(packetIdentifier: 6, reasonCode: .quotaExceeded, properties: [.reasonString("slow down")])),
                .pubrel(PublishAckPacket(packetIdentifier: 7, reasonCode: .packetIdentifierNotFound)),
                .pubcomp(PublishAckPacket(packetIdentifier: 8, properties: [.userProperty("a", "b")])),
                .subscribe(
                    SubscribePacket(
                        packetIdentifier: 14,
                        subscriptions: [
                            Subscription(
                                filter: "x/#", qos: .exactlyOnce, noLocal: true, retainAsPublished: true,
                                retainHandling: .doNotSend),
                            Subscription(filter: "y", retainHandling: .sendOnSubscribeIfNew),
                        ],
                        properties: [.subscriptionIdentifier(77), .userProperty("s", "1")])),
                .suback(SubAckPacket(packetIdentifier: 14, reasonCodes: [.notAuthorized, .grantedQoS0], properties: [.reasonString("acl")])),
                .unsubscribe(UnsubscribePacket(packetIdentifier: 15, filters: ["x/#"], properties: [.userProperty("u", "")])),
                .unsuback(UnsubAckPacket(packetIdentifier: 15, reasonCodes: [.success, .noSubscriptionExisted])),
                .unsuback(UnsubAckPacket(packetIdentifier: 16, reasonCodes: [.notAuthorized], properties: [.reasonString("no")])),
                .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage)),
                .disconnect(
                    DisconnectPacket(
                        reasonCode: .serverShuttingDown,
                        properties: [.reasonString("bye"), .serverReference("b:1883"), .sessionExpiryInterval(0)])),
                .disconnect(DisconnectPacket(reasonCode: .normalDisconnection, properties: [.userProperty("why", "test")])),
                .auth(AuthPacket()),
                .auth(AuthPacket(reasonCode: .continueAuthentication, properties: [.authenticationMethod("m"), .authenticationData(ByteBuffer([7]))])),
                .auth(AuthPacket(reasonCode: .reAuthenticate)),
            ]
        } else {
            packets += [
                .unsuback(UnsubAckPacket(packetIdentifier: 15)),
                .connack(ConnAckPacket(reasonCode: ReasonCode(rawValue: 0x09))),
            ]
        }
        return packets
    }

    func testEveryPacketRoundTripsInMQTT311() {
        for packet in Self.packets(for: .v3_1_1) { assertRoundTrip(packet, .v3_1_1) }
    }

    func testEveryPacketRoundTripsInMQTT5() {
        for packet in Self.packets(for: .v5_0) { assertRoundTrip(packet, .v5_0) }
    }

    func testEveryPacketTypeIsCoveredInBothVersions() {
        for version in MQTTProtocolVersion.allCases {
            let covered = Set(Self.packets(for: version).map(\.type))
            let expected = Set(MQTTPacketType.allCases.filter { $0.exists(in: version) })
            XCTAssertEqual(covered, expected, "\(version)")
        }
    }

    func testWritingAppendsAfterExistingBytes() throws {
        var buffer = ByteBuffer([0x01, 0x02])
        let packet = MQTTPacket.puback(PublishAckPacket(packetIdentifier: 258))
        try packet.write(to: &buffer, version: .v5_0)
        XCTAssertEqual(buffer.bytes, [0x01, 0x02, 0x40, 0x02, 0x01, 0x02])
    }

    func testLargeRemainingLengthUsesMultiByteHeaderAndRoundTrips() {
        for size in [127 - 5, 128, 16_383, 16_384, 70_000] {
            let publish = MQTTPacket.publish(PublishPacket(topic: "big", payload: ByteBuffer(repeating: 1, count: size)))
            assertRoundTrip(publish, .v3_1_1)
            assertRoundTrip(publish, .v5_0)
        }
    }

    func test311DecodingNeverLooksForProperties() throws {
        // In 5.0 the byte after the topic would be a property length; in 3.1.1 it is payload.
        let bytes = packet(0x30, mqttString("a") + [0x01, 0x02])
        let decoded = try decode(bytes, .v3_1_1)
        XCTAssertEqual(decoded, .publish(PublishPacket(topic: "a", payload: ByteBuffer([0x01, 0x02]))))
        XCTAssertNotNil(decodeError(bytes, .v5_0))
    }

    func testConnectCarriesItsOwnVersionWhateverTheCallerSays() throws {
        let connect = MQTTPacket.connect(ConnectPacket(clientIdentifier: "c", properties: [.sessionExpiryInterval(9)]))
        let bytes = try encode(connect, .v5_0).bytes
        XCTAssertEqual(try decode(bytes, .v3_1_1), connect)
        var buffer = ByteBuffer(bytes)
        let frame = try XCTUnwrap(try MQTTFrame.read(from: &buffer, maximumPacketSize: 1000))
        XCTAssertEqual(try MQTTPacket.protocolVersion(ofConnect: frame), .v5_0)
        let old = try encode(.connect(ConnectPacket(clientIdentifier: "c")), .v3_1_1)
        var oldBuffer = old
        let oldFrame = try XCTUnwrap(try MQTTFrame.read(from: &oldBuffer, maximumPacketSize: 1000))
        XCTAssertEqual(try MQTTPacket.protocolVersion(ofConnect: oldFrame), .v3_1_1)
    }

    func testPubAckEncodingDropsDefaultTrailingFieldsIn5() throws {
        XCTAssertEqual(try encode(.puback(PublishAckPacket(packetIdentifier: 1)), .v5_0).bytes, [0x40, 0x02, 0x00, 0x01])
        XCTAssertEqual(
            try encode(.puback(PublishAckPacket(packetIdentifier: 1, reasonCode: .noMatchingSubscribers)), .v5_0).bytes,
            [0x40, 0x03, 0x00, 0x01, 0x10])
        XCTAssertEqual(try encode(.disconnect(DisconnectPacket()), .v5_0).bytes, [0xE0, 0x00])
        // Explicit forms a peer may send decode to the same packet.
        XCTAssertEqual(try decode([0x40, 0x03, 0x00, 0x01, 0x00], .v5_0), .puback(PublishAckPacket(packetIdentifier: 1)))
        XCTAssertEqual(try decode([0x40, 0x04, 0x00, 0x01, 0x00, 0x00], .v5_0), .puback(PublishAckPacket(packetIdentifier: 1)))
        XCTAssertEqual(try decode([0xE0, 0x02, 0x00, 0x00], .v5_0), .disconnect(DisconnectPacket()))
    }
}
