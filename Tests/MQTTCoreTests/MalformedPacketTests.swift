import MQTTCore
import NIOCore
import XCTest

/// Hostile and broken inputs, each asserting the specific rule reported.
final class MalformedPacketTests: XCTestCase {
    private let both = MQTTProtocolVersion.allCases
    private let mqtt: [UInt8] = [0x00, 0x04, 0x4D, 0x51, 0x54, 0x54]

    // MARK: Fixed header

    func testReservedFlagBitsPerPacketType() {
        for version in both {
            assertDecodeFails([0x41, 0x02, 0x00, 0x01], version, .reservedFlagsSet(0x1))  // PUBACK
            assertDecodeFails([0x60, 0x02, 0x00, 0x01], version, .reservedFlagsSet(0x0))  // PUBREL needs 0010
            assertDecodeFails(packet(0x80, [0x00, 0x01] + mqttString("a") + [0x00]), version, .reservedFlagsSet(0x0))
            assertDecodeFails(packet(0xA0, [0x00, 0x01] + mqttString("a")), version, .reservedFlagsSet(0x0))
            assertDecodeFails([0xC8, 0x00], version, .reservedFlagsSet(0x8))  // PINGREQ
            assertDecodeFails([0xD1, 0x00], version, .reservedFlagsSet(0x1))
            assertDecodeFails([0xE2, 0x00], version, .reservedFlagsSet(0x2))
            assertDecodeFails([0x24, 0x02, 0x00, 0x00], version, .reservedFlagsSet(0x4))
            assertDecodeFails(packet(0x11, mqtt + [0x04, 0x02, 0x00, 0x00] + mqttString("c")), version, .reservedFlagsSet(0x1))
        }
        let error = decodeError([0x41, 0x02, 0x00, 0x01], .v5_0)
        XCTAssertEqual(error?.offset, 0)
        XCTAssertEqual(error?.bytes, [0x41])
        XCTAssertEqual(error?.packetType, .puback)
    }

    func testPublishWithQoS3() {
        for version in both {
            assertDecodeFails(packet(0x36, mqttString("a") + [0x00, 0x01]), version, .invalidQoS(3))
        }
    }

    func testPublishWithQoSAndNoOrZeroPacketIdentifier() {
        for version in both {
            assertDecodeFails(packet(0x32, mqttString("a") + [0x00, 0x00]), version, .missingPacketIdentifier)
            assertDecodeFails(packet(0x34, mqttString("a") + [0x00, 0x00]), version, .missingPacketIdentifier)
            assertDecodeFails(packet(0x32, mqttString("a")), version, .truncated)
            assertDecodeFails(packet(0x32, mqttString("a") + [0x00]), version, .truncated)
        }
    }

    func testZeroPacketIdentifierInAcknowledgementsAndSubscriptions() {
        for version in both {
            assertDecodeFails([0x40, 0x02, 0x00, 0x00], version, .missingPacketIdentifier)
            assertDecodeFails([0x50, 0x02, 0x00, 0x00], version, .missingPacketIdentifier)
            assertDecodeFails([0x62, 0x02, 0x00, 0x00], version, .missingPacketIdentifier)
            assertDecodeFails([0x70, 0x02, 0x00, 0x00], version, .missingPacketIdentifier)
            assertDecodeFails([0xB0, 0x02, 0x00, 0x00], version, .missingPacketIdentifier)
            assertDecodeFails([0x90, 0x03, 0x00, 0x00, 0x00], version, .missingPacketIdentifier)
        }
    }

    func testDupOnQoS0Publish() {
        for version in both {
            assertDecodeFails(packet(0x38, mqttString("a")), version, .dupFlagOnQoS0)
        }
    }

    func testAuthDoesNotExistIn311() {
        assertDecodeFails([0xF0, 0x00], .v3_1_1, .packetTypeNotInVersion(.v3_1_1))
        XCTAssertEqual(try decode([0xF0, 0x00], .v5_0), .auth(AuthPacket()))
    }

    func testTrailingBytes() {
        for version in both {
            assertDecodeFails([0xC0, 0x01, 0x00], version, .trailingBytes(count: 1))
            assertDecodeFails([0xD0, 0x02, 0x00, 0x00], version, .trailingBytes(count: 2))
        }
        assertDecodeFails([0x40, 0x03, 0x00, 0x01, 0x00], .v3_1_1, .trailingBytes(count: 1))
        assertDecodeFails([0xE0, 0x01, 0x00], .v3_1_1, .trailingBytes(count: 1))
        assertDecodeFails([0x20, 0x03, 0x00, 0x00, 0x00], .v3_1_1, .trailingBytes(count: 1))
        assertDecodeFails([0xB0, 0x03, 0x00, 0x01, 0x00], .v3_1_1, .trailingBytes(count: 1))
        // 5.0 PUBACK with an empty property list followed by junk.
        assertDecodeFails([0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x07], .v5_0, .trailingBytes(count: 1))
        assertDecodeFails([0xE0, 0x03, 0x00, 0x00, 0x07], .v5_0, .trailingBytes(count: 1))
        let error = decodeError([0xE0, 0x03, 0x00, 0x00, 0x07], .v5_0)
        XCTAssertEqual(error?.offset, 4)
        XCTAssertEqual(error?.bytes, [0x07])
        let connect = packet(0x10, mqtt + [0x04, 0x02, 0x00, 0x00] + mqttString("c") + [0xFF])
        assertDecodeFails(connect, .v3_1_1, .trailingBytes(count: 1))
    }

    func testTruncatedFields() {
        for version in both {
            assertDecodeFails([0x40, 0x01, 0x00], version, .truncated)
            assertDecodeFails([0x30, 0x03, 0x00, 0x05, 0x61], version, .truncated)  // topic says 5 bytes
            assertDecodeFails([0x30, 0x01, 0x00], version, .truncated)
            assertDecodeFails([0x20, 0x01, 0x00], version, .truncated)
            assertDecodeFails(packet(0x10, mqtt + [0x04, 0x02]), version, .truncated)
        }
        // 5.0 CONNACK must carry a property length.
        assertDecodeFails([0x20, 0x02, 0x00, 0x00], .v5_0, .truncated)
        let error = decodeError([0x30, 0x03, 0x00, 0x05, 0x61], .v3_1_1)
        XCTAssertEqual(error?.offset, 2, "points at the length that lies")
        XCTAssertEqual(error?.bytes, [0x00, 0x05, 0x61])
    }

    // MARK: Strings

    func testMalformedUTF8IsRejectedAtTheOffendingByte() {
        let badSequences: [[UInt8]] = [
            [0xC3, 0x28],  // bad continuation
            [0xC0, 0xAF],  // overlong "/"
            [0xE0, 0x80, 0xAF],  // overlong
            [0xED, 0xA0, 0x80],  // surrogate U+D800
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xFF],
            [0x80],  // lone continuation
            [0xE2, 0x82],  // cut short
        ]
        for bad in badSequences {
            let topic: [UInt8] = [0x61, 0x2F] + bad
            let bytes = packet(0x30, [0x00, UInt8(topic.count)] + topic)
            for version in both {
                let error = decodeError(bytes, version)
                XCTAssertEqual(error?.kind, .malformedUTF8, "\(bad)")
                XCTAssertEqual(error?.offset, 2 + 2 + 2, "offset of the first bad byte for \(bad)")
                XCTAssertEqual(error?.bytes.first, bad.first)
            }
        }
    }

    func testNullCharacterIsRejectedInEveryString() {
        for version in both {
            assertDecodeFails(packet(0x30, [0x00, 0x03, 0x61, 0x00, 0x62]), version, .disallowedCodePoint(0))
            let connect = packet(0x10, mqtt + [version.rawValue, 0x02, 0x00, 0x00] + (version == .v5_0 ? [0x00] : []) + [0x00, 0x02, 0x63, 0x00])
            assertDecodeFails(connect, version, .disallowedCodePoint(0))
        }
        // In a property value too.
        assertDecodeFails(packet(0x30, mqttString("a") + [0x05, 0x03, 0x00, 0x02, 0x00, 0x61]), .v5_0, .disallowedCodePoint(0))
    }

    func testValidMultibyteUTF8IsAccepted() throws {
        let topic = "€/𐍈/ü/\u{FEFF}"
        let decoded = try decode(packet(0x30, mqttString(topic)), .v3_1_1)
        XCTAssertEqual(decoded, .publish(PublishPacket(topic: topic, payload: ByteBuffer())))
    }

    // MARK: Topics

    func testWildcardInPublishTopic() {
        for version in both {
            assertDecodeFails(packet(0x30, mqttString("a/+")), version, .invalidTopicName(.wildcardInTopicName))
            assertDecodeFails(packet(0x30, mqttString("a/#")), version, .invalidTopicName(.wildcardInTopicName))
        }
    }

    func testEmptyPublishTopic() {
        assertDecodeFails(packet(0x30, mqttString("")), .v3_1_1, .invalidTopicName(.empty))
        assertDecodeFails(packet(0x30, mqttString("") + [0x00]), .v5_0, .emptyTopicWithoutAlias)
        XCTAssertNoThrow(try decode(packet(0x30, mqttString("") + [0x03, 0x23, 0x00, 0x01]), .v5_0))
    }

    func testWillTopicMustBeAValidTopicName() {
        let body = mqtt + [0x04, 0x06, 0x00, 0x00] + mqttString("c") + mqttString("w/#") + mqttString("x")
        assertDecodeFails(packet(0x10, body), .v3_1_1, .invalidTopicName(.wildcardInTopicName))
    }

    func testInvalidTopicFilters() {
        for version in both {
            let props: [UInt8] = version == .v5_0 ? [0x00] : []
            assertDecodeFails(
                packet(0x82, [0x00, 0x01] + props + mqttString("a/#/b") + [0x00]), version,
                .invalidTopicFilter(.misplacedMultiLevelWildcard))
            assertDecodeFails(
                packet(0xA2, [0x00, 0x01] + props + mqttString("a+")), version,
                .invalidTopicFilter(.misplacedSingleLevelWildcard))
            assertDecodeFails(
                packet(0x82, [0x00, 0x01] + props + mqttString("") + [0x00]), version, .invalidTopicFilter(.empty))
            assertDecodeFails(
                packet(0x82, [0x00, 0x01] + props + mqttString("$share/g") + [0x00]), version,
                .invalidTopicFilter(.invalidSharedSubscription))
        }
    }

    // MARK: SUBSCRIBE / UNSUBSCRIBE / acks

    func testEmptySubscribeAndUnsubscribe() {
        assertDecodeFails([0x82, 0x02, 0x00, 0x01], .v3_1_1, .emptySubscription)
        assertDecodeFails([0x82, 0x03, 0x00, 0x01, 0x00], .v5_0, .emptySubscription)
        assertDecodeFails([0xA2, 0x02, 0x00, 0x01], .v3_1_1, .emptySubscription)
        assertDecodeFails([0xA2, 0x03, 0x00, 0x01, 0x00], .v5_0, .emptySubscription)
        assertDecodeFails([0x90, 0x02, 0x00, 0x01], .v3_1_1, .emptyAcknowledgement)
        assertDecodeFails([0x90, 0x03, 0x00, 0x01, 0x00], .v5_0, .emptyAcknowledgement)
        assertDecodeFails([0xB0, 0x03, 0x00, 0x01, 0x00], .v5_0, .emptyAcknowledgement)
    }

    func testSubscriptionOptionsReservedBits() {
        assertDecodeFails(packet(0x82, [0x00, 0x01, 0x00] + mqttString("a") + [0x40]), .v5_0, .subscriptionOptionsReserved(0x40))
        assertDecodeFails(packet(0x82, [0x00, 0x01, 0x00] + mqttString("a") + [0x80]), .v5_0, .subscriptionOptionsReserved(0x80))
        assertDecodeFails(packet(0x82, [0x00, 0x01] + mqttString("a") + [0x04]), .v3_1_1, .subscriptionOptionsReserved(0x04))
        assertDecodeFails(packet(0x82, [0x00, 0x01, 0x00] + mqttString("a") + [0x03]), .v5_0, .invalidQoS(3))
        assertDecodeFails(packet(0x82, [0x00, 0x01] + mqttString("a") + [0x03]), .v3_1_1, .invalidQoS(3))
        assertDecodeFails(packet(0x82, [0x00, 0x01, 0x00] + mqttString("a") + [0x30]), .v5_0, .invalidRetainHandling)
        assertDecodeFails(packet(0x82, [0x00, 0x01, 0x00] + mqttString("a")), .v5_0, .truncated)
    }

    // MARK: CONNECT / CONNACK

    func testProtocolNameAndLevel() {
        let tail: [UInt8] = [0x02, 0x00, 0x00] + mqttString("c")
        assertDecodeFails(packet(0x10, mqttString("MQIsdp") + [0x03] + tail), .v3_1_1, .invalidProtocolName)
        assertDecodeFails(packet(0x10, mqttString("MQTX") + [0x04] + tail), .v3_1_1, .invalidProtocolName)
        assertDecodeFails(packet(0x10, mqttString("mqtt") + [0x04] + tail), .v5_0, .invalidProtocolName)
        assertDecodeFails(packet(0x10, mqtt + [0x03] + tail), .v3_1_1, .invalidProtocolLevel(3))
        assertDecodeFails(packet(0x10, mqtt + [0x06] + tail), .v5_0, .invalidProtocolLevel(6))
        let error = decodeError(packet(0x10, mqtt + [0x06] + tail), .v5_0)
        XCTAssertEqual(error?.offset, 8)
        XCTAssertEqual(error?.bytes.first, 0x06)
    }

    func testConnectReservedFlag() {
        assertDecodeFails(packet(0x10, mqtt + [0x04, 0x03, 0x00, 0x00] + mqttString("c")), .v3_1_1, .reservedConnectFlagSet)
    }

    func testWillFlagsMustBeConsistent() {
        for flags: UInt8 in [0x0A, 0x12, 0x22, 0x3A] {
            assertDecodeFails(packet(0x10, mqtt + [0x04, flags, 0x00, 0x00] + mqttString("c")), .v3_1_1, .inconsistentWillFlags)
        }
        let willQoS3 = mqtt + [0x04, 0x1E, 0x00, 0x00] + mqttString("c") + mqttString("w") + mqttString("x")
        assertDecodeFails(packet(0x10, willQoS3), .v3_1_1, .invalidQoS(3))
    }

    func testPasswordWithoutUsername() throws {
        let body311 = mqtt + [0x04, 0x42, 0x00, 0x00] + mqttString("c") + mqttString("pw")
        assertDecodeFails(packet(0x10, body311), .v3_1_1, .passwordWithoutUsername)
        let body5 = mqtt + [0x05, 0x42, 0x00, 0x00, 0x00] + mqttString("c") + mqttString("pw")
        XCTAssertEqual(
            try decode(packet(0x10, body5), .v5_0),
            .connect(ConnectPacket(clientIdentifier: "c", keepAliveSeconds: 0, password: ByteBuffer(text: "pw"))))
    }

    func testConnAckReservedFlags() {
        for version in both {
            assertDecodeFails([0x20, 0x02, 0x02, 0x00], version, .reservedConnAckFlagsSet(0x02))
            assertDecodeFails([0x20, 0x02, 0x80, 0x00], version, .reservedConnAckFlagsSet(0x80))
        }
    }

    func testPropertyNotAllowedInThatPacketIsLocated() {
        // PUBLISH 5.0 with Session Expiry Interval.
        let bytes = packet(0x30, mqttString("a") + [0x05, 0x11, 0x00, 0x00, 0x00, 0x01])
        let error = decodeError(bytes, .v5_0)
        XCTAssertEqual(error?.kind, .propertyNotAllowed(id: 0x11, packet: .publish))
        XCTAssertEqual(error?.offset, 6)
        XCTAssertEqual(error?.bytes, [0x11, 0x00, 0x00, 0x00, 0x01])
        // Will Delay Interval belongs to the will, not to CONNECT itself.
        let connect = packet(0x10, mqtt + [0x05, 0x02, 0x00, 0x00, 0x05, 0x18, 0, 0, 0, 1] + mqttString("c"))
        XCTAssertEqual(decodeError(connect, .v5_0)?.kind, .propertyNotAllowed(id: 0x18, packet: .connect))
    }

    func testErrorsDescribeThemselves() {
        let error = decodeError([0x41, 0x02, 0x00, 0x01], .v5_0)
        XCTAssertEqual(error?.description, "PUBACK malformed at offset 0: reserved fixed-header flags 1 [41]")
    }

    func testErrorBytesAreCappedAt32() {
        let topic = [UInt8](repeating: 0x61, count: 60) + [0xFF]
        let error = decodeError(packet(0x30, [0x00, UInt8(topic.count)] + topic), .v3_1_1)
        XCTAssertEqual(error?.kind, .malformedUTF8)
        XCTAssertEqual(error?.bytes, [0xFF])
        let truncated = decodeError(packet(0x30, [0x00, 0x7F] + [UInt8](repeating: 0x61, count: 60)), .v3_1_1)
        XCTAssertEqual(truncated?.kind, .truncated)
        XCTAssertEqual(truncated?.bytes.count, MQTTDecodeError.maximumReportedBytes)
    }
}
