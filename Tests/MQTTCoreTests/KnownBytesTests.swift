import MQTTCore
import NIOCore
import XCTest

/// Byte-for-byte vectors worked out from the specifications, independent of our own encoder.
final class KnownBytesTests: XCTestCase {
    private let connect311: [UInt8] = [
        0x10, 0x0F,  // CONNECT, remaining length 15
        0x00, 0x04, 0x4D, 0x51, 0x54, 0x54,  // "MQTT"
        0x04,  // level 4
        0x02,  // clean session
        0x00, 0x3C,  // keep alive 60
        0x00, 0x03, 0x61, 0x62, 0x63,  // client id "abc"
    ]

    func testMQTT311ConnectByteForByte() throws {
        let packet = MQTTPacket.connect(ConnectPacket(clientIdentifier: "abc", cleanStart: true, keepAliveSeconds: 60))
        XCTAssertEqual(try encode(packet, .v3_1_1).bytes, connect311)
        XCTAssertEqual(try decode(connect311, .v3_1_1), packet)
    }

    func testMQTT311ConnectWithWillUserAndPassword() throws {
        let packet = MQTTPacket.connect(
            ConnectPacket(
                clientIdentifier: "d", cleanStart: false, keepAliveSeconds: 10, username: "u",
                password: ByteBuffer([0x70]),
                will: Will(topic: "w", payload: ByteBuffer([0x21]), qos: .atLeastOnce, retain: true)))
        let expected: [UInt8] = [
            0x10, 0x19,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04,
            0xEC,  // username, password, will retain, will QoS 1, will flag; clean session off
            0x00, 0x0A,
            0x00, 0x01, 0x64,  // "d"
            0x00, 0x01, 0x77,  // will topic "w"
            0x00, 0x01, 0x21,  // will payload
            0x00, 0x01, 0x75,  // "u"
            0x00, 0x01, 0x70,  // password
        ]
        XCTAssertEqual(try encode(packet, .v3_1_1).bytes, expected)
        XCTAssertEqual(try decode(expected, .v3_1_1), packet)
    }

    func testMQTT5ConnectByteForByte() throws {
        let packet = MQTTPacket.connect(
            ConnectPacket(clientIdentifier: "abc", keepAliveSeconds: 60, properties: [.sessionExpiryInterval(10)]))
        let expected: [UInt8] = [
            0x10, 0x15,
            0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3C,
            0x05, 0x11, 0x00, 0x00, 0x00, 0x0A,  // properties: Session Expiry Interval 10
            0x00, 0x03, 0x61, 0x62, 0x63,
        ]
        XCTAssertEqual(try encode(packet, .v5_0).bytes, expected)
        XCTAssertEqual(try decode(expected, .v5_0), packet)
    }

    func testPingAndDisconnectByteForByte() throws {
        for version in MQTTProtocolVersion.allCases {
            XCTAssertEqual(try encode(.pingreq, version).bytes, [0xC0, 0x00])
            XCTAssertEqual(try encode(.pingresp, version).bytes, [0xD0, 0x00])
            XCTAssertEqual(try encode(.disconnect(DisconnectPacket()), version).bytes, [0xE0, 0x00])
            XCTAssertEqual(try decode([0xC0, 0x00], version), .pingreq)
            XCTAssertEqual(try decode([0xD0, 0x00], version), .pingresp)
        }
    }

    func testPublishByteForByte() throws {
        let qos1 = MQTTPacket.publish(
            PublishPacket(topic: "a/b", payload: ByteBuffer(text: "hi"), qos: .atLeastOnce, packetIdentifier: 10))
        XCTAssertEqual(
            try encode(qos1, .v3_1_1).bytes, [0x32, 0x09, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, 0x68, 0x69])
        XCTAssertEqual(
            try encode(qos1, .v5_0).bytes, [0x32, 0x0A, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x0A, 0x00, 0x68, 0x69])
        let retained = MQTTPacket.publish(PublishPacket(topic: "t", payload: ByteBuffer(), retain: true))
        XCTAssertEqual(try encode(retained, .v3_1_1).bytes, [0x31, 0x03, 0x00, 0x01, 0x74])
        let dup2 = MQTTPacket.publish(
            PublishPacket(topic: "t", payload: ByteBuffer(), qos: .exactlyOnce, dup: true, packetIdentifier: 1))
        XCTAssertEqual(try encode(dup2, .v3_1_1).bytes, [0x3C, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01])
    }

    func testSubscribeAndAcknowledgementsByteForByte() throws {
        let subscribe = MQTTPacket.subscribe(
            SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "a/#", qos: .atLeastOnce)]))
        XCTAssertEqual(try encode(subscribe, .v3_1_1).bytes, [0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0x61, 0x2F, 0x23, 0x01])
        let options = MQTTPacket.subscribe(
            SubscribePacket(
                packetIdentifier: 2,
                subscriptions: [
                    Subscription(filter: "x", qos: .exactlyOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend)
                ]))
        XCTAssertEqual(try encode(options, .v5_0).bytes, [0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 0x78, 0x2E])
        XCTAssertEqual(
            try decode([0x90, 0x04, 0x00, 0x01, 0x01, 0x80], .v3_1_1),
            .suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.grantedQoS1, .unspecifiedError])))
        XCTAssertEqual(try decode([0xB0, 0x02, 0x00, 0x05], .v3_1_1), .unsuback(UnsubAckPacket(packetIdentifier: 5)))
        XCTAssertEqual(
            try encode(.unsubscribe(UnsubscribePacket(packetIdentifier: 3, filters: ["q"])), .v3_1_1).bytes,
            [0xA2, 0x05, 0x00, 0x03, 0x00, 0x01, 0x71])
        XCTAssertEqual(try encode(.pubrel(PublishAckPacket(packetIdentifier: 4)), .v3_1_1).bytes, [0x62, 0x02, 0x00, 0x04])
    }

    func testConnAckByteForByte() throws {
        XCTAssertEqual(try decode([0x20, 0x02, 0x01, 0x00], .v3_1_1), .connack(ConnAckPacket(sessionPresent: true)))
        XCTAssertEqual(
            try decode([0x20, 0x02, 0x00, 0x05], .v3_1_1), .connack(ConnAckPacket(reasonCode: .notAuthorized)))
        XCTAssertEqual(
            try encode(.connack(ConnAckPacket(reasonCode: .badUserNameOrPassword)), .v3_1_1).bytes,
            [0x20, 0x02, 0x00, 0x04])
        XCTAssertEqual(
            try encode(.connack(ConnAckPacket(reasonCode: .badUserNameOrPassword)), .v5_0).bytes,
            [0x20, 0x03, 0x00, 0x86, 0x00])
        XCTAssertEqual(
            try decode([0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x14], .v5_0),
            .connack(ConnAckPacket(properties: [.receiveMaximum(20)])))
    }
}
