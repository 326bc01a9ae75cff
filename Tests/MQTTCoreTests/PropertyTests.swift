@testable import MQTTCore
import NIOCore
import XCTest

final class PropertyTests: XCTestCase {
    /// A representative value for each property, by identifier.
    static func sample(_ identifier: MQTTPropertyIdentifier) -> MQTTProperty? {
        switch identifier {
        case .payloadFormatIndicator: return .payloadFormatIndicator(1)
        case .messageExpiryInterval: return .messageExpiryInterval(0xDEAD_BEEF)
        case .contentType: return .contentType("application/cbor")
        case .responseTopic: return .responseTopic("reply/to/me")
        case .correlationData: return .correlationData(ByteBuffer([0, 1, 2, 0xFF]))
        case .subscriptionIdentifier: return .subscriptionIdentifier(16_384)
        case .sessionExpiryInterval: return .sessionExpiryInterval(0xFFFF_FFFF)
        case .assignedClientIdentifier: return .assignedClientIdentifier("auto-7f3a")
        case .serverKeepAlive: return .serverKeepAlive(45)
        case .authenticationMethod: return .authenticationMethod("SCRAM-SHA-256")
        case .authenticationData: return .authenticationData(ByteBuffer(text: "n,,n=user"))
        case .requestProblemInformation: return .requestProblemInformation(1)
        case .willDelayInterval: return .willDelayInterval(30)
        case .requestResponseInformation: return .requestResponseInformation(1)
        case .responseInformation: return .responseInformation("responses/")
        case .serverReference: return .serverReference("broker-2:8883")
        case .reasonString: return .reasonString("because")
        case .receiveMaximum: return .receiveMaximum(65_535)
        case .topicAliasMaximum: return .topicAliasMaximum(16)
        case .topicAlias: return .topicAlias(2)
        case .maximumQoS: return .maximumQoS(.atMostOnce)
        case .retainAvailable: return .retainAvailable(true)
        case .userProperty: return .userProperty("región", "ñ")
        case .maximumPacketSize: return .maximumPacketSize(268_435_460)
        case .wildcardSubscriptionAvailable: return .wildcardSubscriptionAvailable(false)
        case .subscriptionIdentifierAvailable: return .subscriptionIdentifierAvailable(true)
        case .sharedSubscriptionAvailable: return .sharedSubscriptionAvailable(false)
        default: return nil
        }
    }

    /// A 5.0 packet whose `placement` property list holds `properties`.
    static func carrier(_ placement: MQTTPropertyPlacement, _ properties: MQTTProperties) -> MQTTPacket? {
        switch placement {
        case .connect: return .connect(ConnectPacket(clientIdentifier: "c", properties: properties))
        case .will:
            return .connect(
                ConnectPacket(
                    clientIdentifier: "c", will: Will(topic: "w", payload: ByteBuffer(), properties: properties)))
        case .connack: return .connack(ConnAckPacket(properties: properties))
        case .publish:
            return .publish(PublishPacket(topic: "t", payload: ByteBuffer(text: "p"), properties: properties))
        case .puback: return .puback(PublishAckPacket(packetIdentifier: 1, properties: properties))
        case .pubrec: return .pubrec(PublishAckPacket(packetIdentifier: 1, properties: properties))
        case .pubrel: return .pubrel(PublishAckPacket(packetIdentifier: 1, properties: properties))
        case .pubcomp: return .pubcomp(PublishAckPacket(packetIdentifier: 1, properties: properties))
        case .subscribe:
            return .subscribe(
                SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "f")], properties: properties))
        case .suback: return .suback(SubAckPacket(packetIdentifier: 1, reasonCodes: [.success], properties: properties))
        case .unsubscribe:
            return .unsubscribe(UnsubscribePacket(packetIdentifier: 1, filters: ["f"], properties: properties))
        case .unsuback:
            return .unsuback(UnsubAckPacket(packetIdentifier: 1, reasonCodes: [.success], properties: properties))
        case .disconnect: return .disconnect(DisconnectPacket(properties: properties))
        case .auth: return .auth(AuthPacket(properties: properties))
        default: return nil
        }
    }

    static let singlePlacements: [MQTTPropertyPlacement] = [
        .connect, .connack, .publish, .will, .puback, .pubrec, .pubrel, .pubcomp, .subscribe, .suback,
        .unsubscribe, .unsuback, .disconnect, .auth,
    ]

    func testEveryPropertyRoundTripsInEveryPacketThatAllowsIt() throws {
        var roundTrips = 0
        for identifier in MQTTPropertyIdentifier.allKnown {
            let property = try XCTUnwrap(Self.sample(identifier), "\(identifier)")
            XCTAssertEqual(property.identifier, identifier)
            XCTAssertNotNil(identifier.wireType)
            XCTAssertEqual(property.allowedPlacements, identifier.allowedPlacements)
            for placement in Self.singlePlacements where identifier.allowedPlacements.contains(placement) {
                let packet = try XCTUnwrap(Self.carrier(placement, [property]))
                assertRoundTrip(packet, .v5_0)
                roundTrips += 1
            }
        }
        XCTAssertGreaterThanOrEqual(roundTrips, 27 + 13)
    }

    func testEveryPropertyIsRejectedWhereNotAllowedOnBothSides() throws {
        for identifier in MQTTPropertyIdentifier.allKnown {
            let property = try XCTUnwrap(Self.sample(identifier))
            for placement in Self.singlePlacements where !identifier.allowedPlacements.contains(placement) {
                let packet = try XCTUnwrap(Self.carrier(placement, [property]))
                let error = encodeError(packet, .v5_0)
                XCTAssertEqual(
                    error?.kind, .propertyNotAllowed(id: identifier.rawValue, packet: placement), "\(identifier) in \(placement)")
                let allowed = try XCTUnwrap(Self.carrier(placement, [.userProperty("x", "y")]))
                let withUser = try encode(allowed, .v5_0).bytes
                let spliced = try splice(property, replacingUserPropertyIn: withUser)
                XCTAssertEqual(
                    decodeError(spliced, .v5_0)?.kind, .propertyNotAllowed(id: identifier.rawValue, packet: placement),
                    "decoding \(identifier) in \(placement)")
            }
        }
    }

    /// Replaces the single `.userProperty("x", "y")` in an encoded 5.0 packet with `property`, fixing up
    /// the property length and the remaining length (all packets here are short: one-byte lengths).
    private func splice(_ property: MQTTProperty, replacingUserPropertyIn bytes: [UInt8]) throws -> [UInt8] {
        let user: [UInt8] = [0x26] + mqttString("x") + mqttString("y")
        let start = try XCTUnwrap(bytes.firstRange(of: user)?.lowerBound)
        XCTAssertEqual(bytes[start - 1], UInt8(user.count))
        var encoded = ByteBuffer()
        try property.write(to: &encoded, writer: WireWriter(packetType: .publish))
        let replacement = encoded.bytes
        var result = Array(bytes[..<(start - 1)]) + [UInt8(replacement.count)] + replacement
        result += bytes[(start + user.count)...]
        result[1] = UInt8(result.count - 2)
        return result
    }

    func testWireTypesFollowTheSpecification() {
        let expected: [(UInt8, MQTTPropertyWireType)] = [
            (0x01, .byte), (0x02, .fourByteInteger), (0x03, .utf8String), (0x08, .utf8String), (0x09, .binaryData),
            (0x0B, .variableByteInteger), (0x11, .fourByteInteger), (0x12, .utf8String), (0x13, .twoByteInteger),
            (0x15, .utf8String), (0x16, .binaryData), (0x17, .byte), (0x18, .fourByteInteger), (0x19, .byte),
            (0x1A, .utf8String), (0x1C, .utf8String), (0x1F, .utf8String), (0x21, .twoByteInteger),
            (0x22, .twoByteInteger), (0x23, .twoByteInteger), (0x24, .byte), (0x25, .byte), (0x26, .utf8StringPair),
            (0x27, .fourByteInteger), (0x28, .byte), (0x29, .byte), (0x2A, .byte),
        ]
        XCTAssertEqual(expected.count, MQTTPropertyIdentifier.allKnown.count)
        for (raw, type) in expected {
            XCTAssertEqual(MQTTPropertyIdentifier(rawValue: raw).wireType, type, "0x\(String(raw, radix: 16))")
        }
        XCTAssertNil(MQTTPropertyIdentifier(rawValue: 0x04).wireType)
        XCTAssertEqual(MQTTPropertyIdentifier(rawValue: 0x04).allowedPlacements, [])
    }

    func testPlacementsFollowTheSpecification() {
        let acks: MQTTPropertyPlacement = [.puback, .pubrec, .pubrel, .pubcomp]
        let expected: [(UInt8, MQTTPropertyPlacement)] = [
            (0x01, [.publish, .will]), (0x02, [.publish, .will]), (0x03, [.publish, .will]), (0x08, [.publish, .will]),
            (0x09, [.publish, .will]), (0x0B, [.publish, .subscribe]), (0x11, [.connect, .connack, .disconnect]),
            (0x12, .connack), (0x13, .connack), (0x15, [.connect, .connack, .auth]), (0x16, [.connect, .connack, .auth]),
            (0x17, .connect), (0x18, .will), (0x19, .connect), (0x1A, .connack), (0x1C, [.connack, .disconnect]),
            (0x1F, acks.union([.connack, .suback, .unsuback, .disconnect, .auth])), (0x21, [.connect, .connack]),
            (0x22, [.connect, .connack]), (0x23, .publish), (0x24, .connack), (0x25, .connack),
            (0x26, acks.union([.connect, .connack, .publish, .will, .subscribe, .suback, .unsubscribe, .unsuback, .disconnect, .auth])),
            (0x27, [.connect, .connack]), (0x28, .connack), (0x29, .connack), (0x2A, .connack),
        ]
        XCTAssertEqual(expected.count, MQTTPropertyIdentifier.allKnown.count)
        for (raw, placements) in expected {
            XCTAssertEqual(MQTTPropertyIdentifier(rawValue: raw).allowedPlacements, placements, "0x\(String(raw, radix: 16))")
        }
    }

    func testDuplicatePropertyIsRejected() {
        // PUBLISH 5.0 "a", properties: Message Expiry Interval twice.
        let props: [UInt8] = [0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2]
        let bytes = packet(0x30, mqttString("a") + [UInt8(props.count)] + props)
        let error = decodeError(bytes, .v5_0)
        XCTAssertEqual(error?.kind, .duplicateProperty(id: 0x02))
        XCTAssertEqual(error?.offset, 2 + 3 + 1 + 5, "offset of the second occurrence")
        XCTAssertEqual(error?.bytes.first, 0x02)
        let twice = PublishPacket(
            topic: "a", payload: ByteBuffer(), properties: [.messageExpiryInterval(1), .messageExpiryInterval(2)])
        XCTAssertEqual(encodeError(.publish(twice), .v5_0)?.kind, .duplicateProperty(id: 0x02))
    }

    func testRepeatablePropertiesMayRepeat() {
        assertRoundTrip(
            .publish(
                PublishPacket(
                    topic: "a", payload: ByteBuffer(),
                    properties: [.subscriptionIdentifier(1), .subscriptionIdentifier(2), .userProperty("a", "1"), .userProperty("a", "2")])),
            .v5_0)
        // …but a SUBSCRIBE carries at most one Subscription Identifier.
        let props: [UInt8] = [0x0B, 0x01, 0x0B, 0x02]
        let bytes = packet(0x82, [0x00, 0x01, UInt8(props.count)] + props + mqttString("f") + [0x00])
        XCTAssertEqual(decodeError(bytes, .v5_0)?.kind, .duplicateProperty(id: 0x0B))
    }

    func testUnknownPropertyIsRejected() {
        let bytes = packet(0x30, mqttString("a") + [0x02, 0x7F, 0x00])
        let error = decodeError(bytes, .v5_0)
        XCTAssertEqual(error?.kind, .unknownProperty(id: 0x7F))
        XCTAssertEqual(error?.offset, 6)
    }

    func testForbiddenPropertyValuesAreRejectedOnBothSides() {
        let invalid: [MQTTProperty] = [
            .receiveMaximum(0), .maximumPacketSize(0), .maximumQoS(.exactlyOnce), .requestProblemInformation(2),
            .requestResponseInformation(7),
        ]
        for property in invalid {
            let placement: MQTTPropertyPlacement = property.identifier.allowedPlacements.contains(.connack) ? .connack : .connect
            XCTAssertFalse(property.hasValidValue)
            XCTAssertEqual(
                encodeError(PropertyTests.carrier(placement, [property])!, .v5_0)?.kind,
                .invalidPropertyValue(id: property.identifier.rawValue), "\(property)")
        }
        XCTAssertEqual(
            encodeError(PropertyTests.carrier(.publish, [.topicAlias(0)])!, .v5_0)?.kind, .invalidPropertyValue(id: 0x23))
        XCTAssertEqual(
            encodeError(PropertyTests.carrier(.publish, [.subscriptionIdentifier(0)])!, .v5_0)?.kind,
            .invalidPropertyValue(id: 0x0B))
        XCTAssertEqual(
            encodeError(PropertyTests.carrier(.publish, [.payloadFormatIndicator(2)])!, .v5_0)?.kind,
            .invalidPropertyValue(id: 0x01))
        // Decoder: CONNACK with Receive Maximum 0, Maximum QoS 2, Retain Available 2.
        for props: [UInt8] in [[0x21, 0x00, 0x00], [0x24, 0x02], [0x24, 0x03], [0x25, 0x02], [0x28, 0xFF]] {
            let bytes = packet(0x20, [0x00, 0x00, UInt8(props.count)] + props)
            XCTAssertEqual(decodeError(bytes, .v5_0)?.kind, .invalidPropertyValue(id: props[0]), "\(props)")
        }
        // PUBLISH with Topic Alias 0 and Subscription Identifier 0.
        XCTAssertEqual(
            decodeError(packet(0x30, mqttString("a") + [0x03, 0x23, 0x00, 0x00]), .v5_0)?.kind,
            .invalidPropertyValue(id: 0x23))
        XCTAssertEqual(
            decodeError(packet(0x30, mqttString("a") + [0x02, 0x0B, 0x00]), .v5_0)?.kind,
            .invalidPropertyValue(id: 0x0B))
    }

    func testPropertyRunningPastItsListIsTruncated() {
        // Property length 2 but a four-byte integer follows its identifier.
        let bytes = packet(0x30, mqttString("a") + [0x02, 0x02, 0x00, 0x00, 0x00, 0x00])
        XCTAssertEqual(decodeError(bytes, .v5_0)?.kind, .truncated)
    }

    func testPropertyLengthLongerThanPacketIsTruncated() {
        let bytes = packet(0x30, mqttString("a") + [0x09, 0x01, 0x01])
        XCTAssertEqual(decodeError(bytes, .v5_0)?.kind, .truncated)
    }

    func testAccessorsReturnTypedValues() {
        let properties: MQTTProperties = [
            .receiveMaximum(10), .topicAliasMaximum(5), .maximumPacketSize(1024), .serverKeepAlive(30),
            .assignedClientIdentifier("id"), .reasonString("r"), .userProperty("a", "1"), .userProperty("b", "2"),
            .maximumQoS(.atLeastOnce), .retainAvailable(false), .subscriptionIdentifier(3), .subscriptionIdentifier(4),
            .sessionExpiryInterval(60), .topicAlias(9), .messageExpiryInterval(11),
        ]
        XCTAssertEqual(properties.receiveMaximum, 10)
        XCTAssertEqual(properties.topicAliasMaximum, 5)
        XCTAssertEqual(properties.maximumPacketSize, 1024)
        XCTAssertEqual(properties.serverKeepAlive, 30)
        XCTAssertEqual(properties.assignedClientIdentifier, "id")
        XCTAssertEqual(properties.reasonString, "r")
        XCTAssertEqual(properties.userProperties.map(\.name), ["a", "b"])
        XCTAssertEqual(properties.userProperties.map(\.value), ["1", "2"])
        XCTAssertEqual(properties.maximumQoS, .atLeastOnce)
        XCTAssertEqual(properties.retainAvailable, false)
        XCTAssertEqual(properties.subscriptionIdentifiers, [3, 4])
        XCTAssertEqual(properties.sessionExpiryInterval, 60)
        XCTAssertEqual(properties.topicAlias, 9)
        XCTAssertEqual(properties.messageExpiryInterval, 11)
        XCTAssertNil(properties.wildcardSubscriptionAvailable)
        XCTAssertEqual(properties.count, 15)
        var copy = properties
        copy.removeAll(.userProperty)
        XCTAssertTrue(copy.userProperties.isEmpty)
        XCTAssertEqual(copy.count, 13)
    }

    func testPropertiesAreRejectedIn311() {
        for placement in Self.singlePlacements where placement != .auth {
            let property = MQTTProperty.userProperty("k", "v")
            let packet = Self.carrier(placement, [property])!
            XCTAssertEqual(encodeError(packet, .v3_1_1)?.kind, .propertiesNotInVersion, "\(placement)")
        }
    }
}
